"""Append to and read the ledger; appends for one site are serialized by its head row."""
import fcntl
import json
import os
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, create_engine, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.pool import NullPool

from app.ledger.checkpoints import LOG_GENESIS, checkpoint_payload, key_id, payload_digest, sign
from app.ledger.proof import GENESIS_HASH, chain_hash
from app.ledger.verify import CHAIN_COLUMNS
from app.models import Checkpoint, ConsentRecord, LedgerHead, TextSet, utc_now

#: Reads a range of a site's chain, in chain order, with the content as its stored text.
_CHAIN_SQL = (f"SELECT {', '.join(c + '::text' if c == 'content' else c for c in CHAIN_COLUMNS)}"
              " FROM consent_records WHERE site_id = {site} AND seq >= {low} AND seq <= {high}"
              " ORDER BY seq")
#: PostgreSQL types of CHAIN_COLUMNS, for a binary COPY.
_CHAIN_TYPES = ["int4", "text", "text", "text", "text", "text", "text", "text", "text"]
_NO_BOUND = 2**31 - 1
#: Key of the PostgreSQL advisory lock that serializes signing checkpoints.
_CHECKPOINT_LOG_LOCK = 0x6367_6C6F67  # "cglog"


#: A retried report must repeat these; anything else reusing its event id is refused.
SAME_EVENT_KEYS = ("consent_id", "subject_id", "event", "ui_action", "choices")


class EventConflict(Exception):
    """An event id already names a different consent event."""


@dataclass(frozen=True)
class Stored:
    """What a receipt names of a stored record."""

    record_id: str
    seq: int
    record_hash: str


@dataclass(frozen=True)
class Appended:
    """A record and whether this call stored it (False: an earlier retry already had)."""

    record: Stored
    created: bool


_INSERT_RECORD = insert(ConsentRecord)
_MOVE_HEAD = update(LedgerHead).where(LedgerHead.site_id == bindparam("site")).values(
    seq=bindparam("seq"), head_hash=bindparam("head_hash"))
#: The head and any record already stored under the event id, in one statement.
_HEAD_SQL = ("SELECT h.seq, h.head_hash, r.record_id, r.seq, r.record_hash, r.content"
             " FROM ledger_heads h LEFT JOIN consent_records r"
             " ON r.site_id = h.site_id AND r.event_id = {p} WHERE h.site_id = {p}")


_process_locks = {}
_process_locks_guard = threading.Lock()


@contextmanager
def write_lock(session):
    """Serialize ledger writers to a SQLite file across threads and processes; a no-op otherwise.

    SQLite's own lock makes a waiting writer poll with sleeps of up to 100 ms; an OS file lock
    beside the database wakes the next writer as soon as the last one committed. PostgreSQL's
    row lock on the head already queues writers.
    """
    url = session.get_bind().url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        yield
        return
    path = os.path.abspath(url.database) + "-ledger.lock"
    with _process_locks_guard:
        lock = _process_locks.setdefault(path, threading.Lock())
    with lock:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)  # releases the flock


def _locked_head(connection, postgres, site_id, event_id):
    if postgres:
        sql = _HEAD_SQL.format(p="%s") + " FOR UPDATE OF h"
    else:
        sql = _HEAD_SQL.format(p="?")
    return connection.exec_driver_sql(sql, (event_id, site_id)).first()


def _begin_immediate(connection):
    """Take SQLite's write lock now, before the head is read (unless a write already took it)."""
    driver = connection.connection.driver_connection
    if driver.in_transaction:
        connection.exec_driver_sql("UPDATE ledger_heads SET seq = seq WHERE 0")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class LedgerRepository:
    """Consent records, text sets and chain heads in one SQLAlchemy session."""

    def __init__(self, session):
        self.session = session

    def _insert(self, model):
        dialect = self.session.get_bind().dialect.name
        return (pg_insert if dialect == "postgresql" else sqlite_insert)(model)

    def store_text_set(self, site_id, language, digest, content):
        """Store a text set once under its digest; later calls change nothing."""
        statement = self._insert(TextSet).values(
            digest=digest, site_id=site_id, language=language, content=content,
            created_at=utc_now()).on_conflict_do_nothing(index_elements=["digest"])
        self.session.execute(statement)

    def text_set(self, digest):
        """Return the text set with this digest, or None."""
        return self.session.get(TextSet, digest)

    def append(self, site_id, event_id, content):
        """Chain content to the site's head and store it; idempotent per event_id.

        The caller commits. Locking the head row first (SQLite: BEGIN IMMEDIATE, PostgreSQL:
        FOR UPDATE) makes concurrent appends for one site wait for each other on both databases,
        so the chain stays linear. Three statements: read the head and any record with this
        event id, insert the record, move the head.
        """
        connection = self.session.connection()
        postgres = connection.dialect.name == "postgresql"
        if not postgres:
            _begin_immediate(connection)
        head = _locked_head(connection, postgres, site_id, event_id)
        if head is None:
            connection.execute(self._insert(LedgerHead).values(
                site_id=site_id, seq=0, head_hash=GENESIS_HASH
            ).on_conflict_do_nothing(index_elements=["site_id"]))
            head = _locked_head(connection, postgres, site_id, event_id)
        head_seq, head_hash, existing_id, existing_seq, existing_hash, existing_content = head
        if existing_id is not None:
            if isinstance(existing_content, str):
                existing_content = json.loads(existing_content)
            if any(existing_content.get(key) != content.get(key) for key in SAME_EVENT_KEYS):
                raise EventConflict(event_id)
            return Appended(Stored(existing_id, existing_seq, existing_hash), created=False)
        seq = head_seq + 1
        content = {**content, "seq": seq, "record_id": str(uuid.uuid4())}
        record_hash = chain_hash(head_hash, content)
        connection.execute(_INSERT_RECORD, {
            "site_id": site_id, "seq": seq, "record_id": content["record_id"], "event_id": event_id,
            "consent_id": content["consent_id"], "subject_id": content["subject_id"],
            "event": content["event"], "server_time": datetime.fromisoformat(content["server_time"]),
            "content": content, "prev_hash": head_hash, "record_hash": record_hash})
        connection.execute(_MOVE_HEAD, {"site": site_id, "seq": seq, "head_hash": record_hash})
        return Appended(Stored(content["record_id"], seq, record_hash), created=True)

    def by_record_id(self, record_id):
        """Return the record with this public id, or None."""
        return self.session.scalar(select(ConsentRecord).filter_by(record_id=record_id))

    def history(self, site_id, subject_id):
        """Return every record of one pseudonymous subject on a site, oldest first."""
        return list(self.session.scalars(select(ConsentRecord).filter_by(
            site_id=site_id, subject_id=subject_id).order_by(ConsentRecord.seq)))

    def head(self, site_id):
        """Return the site's chain head, or None before its first record."""
        return self.session.get(LedgerHead, site_id)

    def lowest_seq(self, site_id):
        """Return the smallest seq stored for a site, or None."""
        return self.session.scalar(select(func.min(ConsentRecord.seq)).where(
            ConsentRecord.site_id == site_id))

    def add_checkpoint(self, site_id, private_key):
        """Sign the site's current head; return the checkpoint (None before the first record)."""
        head = self.head(site_id)
        if head is None:
            return None
        return self._signed(site_id, head.seq, head.head_hash, private_key, "checkpoint")

    def _signed(self, site_id, seq, head_hash, private_key, kind):
        prev = self._lock_checkpoint_log()
        created_at = utc_now().isoformat()
        payload = checkpoint_payload(site_id, seq, head_hash, created_at, kind, prev)
        checkpoint = Checkpoint(
            site_id=site_id, seq=seq, head_hash=head_hash, created_at=created_at, kind=kind,
            key_id=key_id(private_key.public_key()), signature=sign(private_key, payload),
            prev_digest=prev, digest=payload_digest(payload))
        self.session.add(checkpoint)
        self.session.flush()
        return checkpoint

    def _lock_checkpoint_log(self):
        """Hold the checkpoint log until commit; return the digest the next checkpoint links to.

        One writer at a time keeps the log linear across processes and nodes: PostgreSQL by a
        transaction-scoped advisory lock, SQLite by its write lock.
        """
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (_CHECKPOINT_LOG_LOCK,))
        else:
            _begin_immediate(connection)
        last = self.session.scalar(select(Checkpoint.digest).where(Checkpoint.digest.is_not(None))
                                   .order_by(Checkpoint.id.desc()).limit(1))
        return last or LOG_GENESIS

    def checkpoint_log(self):
        """Return every checkpoint of every site in the order they were signed."""
        return list(self.session.scalars(select(Checkpoint).order_by(Checkpoint.id)))

    def purge_before(self, site_id, cutoff, private_key):
        """Delete the oldest records up to the last one older than cutoff, behind a signed anchor.

        Only a prefix of the chain goes, so what remains still links; the anchor records the
        hash the remaining chain continues from. Returns the anchor, or None when nothing is due.
        """
        newer = self.session.scalar(select(func.min(ConsentRecord.seq)).where(
            ConsentRecord.site_id == site_id, ConsentRecord.server_time >= cutoff))
        last = self.session.scalar(select(func.max(ConsentRecord.seq)).where(
            ConsentRecord.site_id == site_id, ConsentRecord.server_time < cutoff,
            *([ConsentRecord.seq < newer] if newer else [])))
        if last is None:
            return None
        boundary = self.session.scalar(select(ConsentRecord).filter_by(site_id=site_id, seq=last))
        anchor = self._signed(site_id, last, boundary.record_hash, private_key, "anchor")
        self.session.execute(delete(ConsentRecord).where(
            ConsentRecord.site_id == site_id, ConsentRecord.seq <= last))
        return anchor

    def checkpoints(self, site_id):
        """Return a site's checkpoints, oldest first."""
        return list(self.session.scalars(select(Checkpoint).filter_by(site_id=site_id)
                                         .order_by(Checkpoint.seq, Checkpoint.id)))

    def site_ids(self):
        """Return the ids of sites that have a ledger, or had one: a head or a checkpoint."""
        heads = self.session.scalars(select(LedgerHead.site_id))
        signed = self.session.scalars(select(Checkpoint.site_id).distinct())
        return sorted({*heads, *signed})



def read_chain(source, site_id, low=None, high=None, batch=10_000):
    """Yield a site's records with low <= seq <= high in chain order, as plain tuples.

    Rows are CHAIN_COLUMNS, content as its stored text. source is a database URL (read over a
    connection of its own, as a verifying process does) or an open SQLAlchemy connection.
    """
    if isinstance(source, str):
        engine = create_engine(source, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                yield from read_chain(connection, site_id, low, high, batch)
        finally:
            engine.dispose()
        return
    bounds = {"site": site_id, "low": -_NO_BOUND if low is None else low,
              "high": _NO_BOUND if high is None else high}
    driver = source.connection.driver_connection
    if source.dialect.name == "postgresql":
        yield from _postgres_chain(driver, bounds)
        return
    cursor = driver.cursor()
    try:
        cursor.execute(_CHAIN_SQL.replace("::text", "").format(site="?", low="?", high="?"),
                       (bounds["site"], bounds["low"], bounds["high"]))
        while rows := cursor.fetchmany(batch):
            yield from rows
    finally:
        cursor.close()


def _postgres_chain(connection, bounds):
    from psycopg import sql

    # A binary COPY streams rows at a fraction of a cursor's cost; the index gives chain order
    # without a sort, even before the planner has statistics of a freshly filled table.
    connection.execute("SET LOCAL enable_sort = off")
    connection.execute("SET LOCAL enable_bitmapscan = off")
    query = sql.SQL(_CHAIN_SQL.format(site="{site}", low="{low}", high="{high}")).format(
        **{key: sql.Literal(value) for key, value in bounds.items()})
    with connection.cursor() as cursor, cursor.copy(
            sql.SQL("COPY ({}) TO STDOUT (FORMAT BINARY)").format(query)) as copy:
        copy.set_types(_CHAIN_TYPES)
        yield from copy.rows()
