"""Append to and read the ledger; appends for one site are serialized by its head row."""
import fcntl
import json
import os
import threading
import uuid
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import create_engine, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from app.ledger.checkpoints import LOG_GENESIS, checkpoint_payload, key_id, payload_digest, sign
from app.ledger.proof import GENESIS_HASH, canonical_text, hash_canonical
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


class EventSeen(Exception):
    """An append without lookup met an event id already stored; append again with lookup."""


class SiteChanged(Exception):
    """The site's row changed (or went) after the report was checked against it."""


@dataclass(frozen=True)
class AppendRequest:
    """A record to append: its site, the banner's event id, its content, and the stamp of the
    site row its report was checked against (None: not checked against a snapshot)."""

    site_id: str
    event_id: str
    content: dict
    site_stamp: object = None


def _same_event(stored, content):
    return all(stored.get(key) == content.get(key) for key in SAME_EVENT_KEYS)


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


#: Columns an append writes, in the order of _INSERT_SQL's placeholders.
_RECORD_COLUMNS = ("site_id", "seq", "record_id", "event_id", "consent_id", "subject_id", "event",
                   "server_time", "content", "prev_hash", "record_hash")
_INSERT_SQL = (f"INSERT INTO consent_records ({', '.join(_RECORD_COLUMNS)})"
               f" VALUES ({', '.join(['{p}'] * len(_RECORD_COLUMNS))})"
               " ON CONFLICT (site_id, event_id) DO NOTHING")
_MOVE_HEAD_SQL = "UPDATE ledger_heads SET seq = {p}, head_hash = {p} WHERE site_id = {p}"
#: The head and the stamp of the site's row.
_HEAD_SQL = ("SELECT h.seq, h.head_hash, s.updated_at FROM ledger_heads h"
             " JOIN sites s ON s.id = h.site_id WHERE h.site_id = {p}")
#: Records already stored under the batch's event ids.
_EVENTS_SQL = ("SELECT event_id, record_id, seq, record_hash, content FROM consent_records"
               " WHERE site_id = {p} AND event_id IN ({events})")


@contextmanager
def write_lock(bound):
    """Serialize ledger writers to a SQLite file across threads and processes; a no-op otherwise.

    SQLite's own lock makes a waiting writer poll with sleeps of up to 100 ms; an OS file lock
    beside the database wakes the next writer as soon as the last one committed. PostgreSQL's
    row lock on the head already queues writers.
    """
    url = (bound.get_bind() if hasattr(bound, "get_bind") else bound.engine).url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        yield
        return
    lock, descriptor = _lock_file(os.path.abspath(url.database) + "-ledger.lock")
    with lock:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)


_lock_files = {}
_lock_files_guard = threading.Lock()


def _lock_file(path):
    """Return this process's thread lock and open descriptor for a lock file.

    The descriptor stays open; a forked child opens its own, since a flock is held per open file
    and one inherited from the parent would not exclude the parent.
    """
    with _lock_files_guard:
        entry = _lock_files.get(path)
        if entry is None or entry[2] != os.getpid():
            entry = _lock_files[path] = (threading.Lock(),
                                         os.open(path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid())
    return entry[:2]


def _placeholder(postgres):
    return "%s" if postgres else "?"


def _locked_head(driver, postgres, site_id, event_ids):
    """Return (seq, head_hash, site stamp, {event_id: (Stored, content)}), or None without a head.

    PostgreSQL locks the head row; SQLite's write lock is already held. Stored records are
    looked up only for the event ids given.
    """
    p = _placeholder(postgres)
    head_sql = _HEAD_SQL.format(p=p) + (" FOR UPDATE OF h" if postgres else "")
    events_sql = _EVENTS_SQL.format(p=p, events=", ".join([p] * len(event_ids)))
    found = ()
    if postgres:
        with _pipeline(driver):  # BEGIN and the reads travel together
            head = driver.execute(head_sql, (site_id,))
            if event_ids:
                # Planned afresh each time: a generic plan made while the table was nearly empty
                # scans the site's whole chain by (site, seq) for ever after; a plan for the
                # values at hand picks the (site, event) index once the table has grown.
                found = driver.execute(events_sql, (site_id, *event_ids), prepare=False)
            head, found = head.fetchone(), found and found.fetchall()
    else:
        head = driver.execute(head_sql, (site_id,)).fetchone()
        if event_ids:
            found = driver.execute(events_sql, (site_id, *event_ids)).fetchall()
    if head is None:
        return None
    stored = {}
    for event_id, record_id, seq, record_hash, content in found:
        if isinstance(content, str):
            content = json.loads(content)
        stored[event_id] = (Stored(record_id, seq, record_hash), content)
    return (*head, stored)


def _pipeline(driver):
    """Send the statements of a block in one round trip where psycopg and libpq allow it."""
    from psycopg import Pipeline

    return driver.pipeline() if Pipeline.is_supported() else nullcontext()


def _write_records(driver, postgres, rows, moves):
    """Insert the records (skipping any whose event id is stored) and move the heads; return
    how many records were inserted."""
    p = _placeholder(postgres)
    insert_sql, move_sql = _INSERT_SQL.format(p=p), _MOVE_HEAD_SQL.format(p=p)
    if postgres:
        with driver.cursor() as inserts, driver.cursor() as heads:
            with _pipeline(driver):
                inserts.executemany(insert_sql, rows)
                heads.executemany(move_sql, moves)
            return inserts.rowcount
    inserted = driver.executemany(insert_sql, rows).rowcount
    driver.executemany(move_sql, moves)
    return inserted


@cache
def _time_processor(dialect):
    # SQLite stores a timestamp as SQLAlchemy formats it; psycopg takes the datetime itself.
    column_type = ConsentRecord.__table__.c.server_time.type
    return column_type.dialect_impl(dialect).bind_processor(dialect) or (lambda value: value)


def _begin_immediate(connection):
    """Take SQLite's write lock now, before the head is read (unless a write already took it)."""
    driver = connection.connection.driver_connection
    if driver.in_transaction:
        driver.execute("UPDATE ledger_heads SET seq = seq WHERE 0")
    else:
        driver.execute("BEGIN IMMEDIATE")


def append_records(connection, requests, lookup=True):
    """Chain each request's content to its site's head and store it, in the connection's
    transaction.

    Returns, in request order, an Appended or the exception that refuses the request:
    EventConflict, or SiteChanged. The caller commits. The head row is locked first (SQLite:
    BEGIN IMMEDIATE, PostgreSQL: FOR UPDATE), so concurrent appends for one site wait for each
    other and the chain stays linear. Per site: one read of the head and the site's stamp, one
    read of the records already stored under the event ids, one insert of every new record and
    one head move.

    lookup=False skips the read of stored events: the insert skips a record whose event id is
    already stored and EventSeen is raised; the caller then rolls back and appends again with
    lookup=True. Retried reports are rare, so most batches save a statement.
    """
    try:
        return _append_records(connection, requests, lookup)
    except connection.dialect.loaded_dbapi.Error as error:
        # The driver is called directly: its errors become SQLAlchemy's, as for any statement.
        raise DBAPIError.instance(None, None, error, connection.dialect.loaded_dbapi.Error,
                                  dialect=connection.dialect) from error


def _append_records(connection, requests, lookup):
    driver = connection.connection.driver_connection
    postgres = connection.dialect.name == "postgresql"
    if not postgres:
        _begin_immediate(connection)
    by_site = {}
    for index, request in enumerate(requests):
        by_site.setdefault(request.site_id, []).append((index, request))
    outcomes, rows, moves = [None] * len(requests), [], []
    to_time = _time_processor(connection.dialect)
    # Heads are locked in site order, so batches of two writers cannot deadlock.
    for site_id in sorted(by_site):
        pending = by_site[site_id]
        event_ids = sorted({request.event_id for _i, request in pending}) if lookup else []
        head = _head_for_append(driver, postgres, site_id, event_ids)
        if head is None:
            for index, _request in pending:
                outcomes[index] = SiteChanged(site_id)
            continue
        move = _chain_site(site_id, head, pending, outcomes, rows, to_time)
        if move:
            moves.append(move)
    if rows and _write_records(driver, postgres, rows, moves) != len(rows):
        raise EventSeen()
    return outcomes


def _chain_site(site_id, head, pending, outcomes, rows, to_time):
    """Chain one site's requests to its head, filling outcomes and rows; return the head move."""
    seq, head_hash, stamp, stored = head
    start = seq
    for index, request in pending:
        if request.site_stamp is not None and request.site_stamp != stamp:
            outcomes[index] = SiteChanged(site_id)
        elif request.event_id in stored:
            record, content = stored[request.event_id]
            outcomes[index] = (Appended(record, created=False)
                               if _same_event(content, request.content)
                               else EventConflict(request.event_id))
        else:
            seq += 1
            content = {**request.content, "seq": seq, "record_id": str(uuid.uuid4())}
            text = canonical_text(content)
            record_hash = hash_canonical(head_hash, text)
            rows.append((site_id, seq, content["record_id"], request.event_id,
                         content["consent_id"], content["subject_id"], content["event"],
                         to_time(datetime.fromisoformat(content["server_time"])), text,
                         head_hash, record_hash))
            record = Stored(content["record_id"], seq, record_hash)
            stored[request.event_id] = (record, content)
            outcomes[index] = Appended(record, created=True)
            head_hash = record_hash
    return (seq, head_hash, site_id) if seq != start else None


def _head_for_append(driver, postgres, site_id, event_ids):
    head = _locked_head(driver, postgres, site_id, event_ids)
    if head is None:
        # The site's first record: create its head at the genesis hash (once, whoever wins).
        p = _placeholder(postgres)
        driver.execute(f"INSERT INTO ledger_heads (site_id, seq, head_hash) VALUES ({p}, 0, {p})"
                       " ON CONFLICT (site_id) DO NOTHING", (site_id, GENESIS_HASH))
        head = _locked_head(driver, postgres, site_id, event_ids)
    return head


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

        The caller commits. Raises EventConflict when event_id names a different event.
        """
        outcome, = self.append_many([AppendRequest(site_id, event_id, content)])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def append_many(self, requests):
        """Chain each request's content to its site's head and store it, in this transaction.

        Returns what append_records returns; the caller commits.
        """
        return append_records(self.session.connection(), requests)

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
