"""Append records to the ledger: one transaction per batch, chained to each site's head.

Appends for one site wait for each other on its head row (SQLite: the write lock, taken early;
PostgreSQL: FOR UPDATE), so the chain stays linear across threads, processes and nodes. The
statements go to the database driver directly: the intake's hot path, with a handful of
statements per batch whatever its size.
"""
import json
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy.exc import DBAPIError

from app.ledger.proof import GENESIS_HASH, canonical_text, hash_canonical
from app.ledger.subjects import (
    KEEP_SUBJECT_SQL,
    ConsentIdTaken,
    SubjectBinding,
    SubjectNotProven,
    binding_read,
)
from app.ledger.tables import ConsentRecord

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


def _placeholder(postgres):
    return "%s" if postgres else "?"


def _locked_head(driver, postgres, site_id, event_ids, reads):
    """Return (seq, head_hash, site stamp, {event_id: (Stored, content)}, [rows of each read]),
    or None without a head.

    PostgreSQL locks the head row; SQLite's write lock is already held. Stored records are
    looked up only for the event ids given; reads are further (sql, params) or None, sent with
    the head's.
    """
    p = _placeholder(postgres)
    head_sql = _HEAD_SQL.format(p=p) + (" FOR UPDATE OF h" if postgres else "")
    events_sql = _EVENTS_SQL.format(p=p, events=", ".join([p] * len(event_ids)))
    reads = [(events_sql, (site_id, *event_ids)) if event_ids else None, *reads]
    if postgres:
        with _pipeline(driver):  # BEGIN and the reads travel together
            head = driver.execute(head_sql, (site_id,))
            # Planned afresh each time: a generic plan made while the table was nearly empty
            # scans the site's whole chain by (site, seq) for ever after; a plan for the values
            # at hand picks the (site, event) index once the table has grown.
            cursors = [driver.execute(*read, prepare=False) if read else None for read in reads]
            head = head.fetchone()
            results = [cursor.fetchall() if cursor else [] for cursor in cursors]
    else:
        head = driver.execute(head_sql, (site_id,)).fetchone()
        results = [driver.execute(*read).fetchall() if read else [] for read in reads]
    if head is None:
        return None
    stored = {}
    for event_id, record_id, seq, record_hash, content in results[0]:
        if isinstance(content, str):
            content = json.loads(content)
        stored[event_id] = (Stored(record_id, seq, record_hash), content)
    return (*head, stored, results[1:])


def _pipeline(driver):
    """Send the statements of a block in one round trip where psycopg and libpq allow it."""
    from psycopg import Pipeline

    return driver.pipeline() if Pipeline.is_supported() else nullcontext()


def _write_records(driver, postgres, rows, moves, subjects):
    """Insert the records (skipping any whose event id is stored), keep the new subjects'
    secret hashes and move the heads; return how many records were inserted."""
    p = _placeholder(postgres)
    insert_sql, move_sql = _INSERT_SQL.format(p=p), _MOVE_HEAD_SQL.format(p=p)
    keep_sql = KEEP_SUBJECT_SQL.format(p=p)
    if postgres:
        with driver.cursor() as inserts, driver.cursor() as heads:
            with _pipeline(driver):
                inserts.executemany(insert_sql, rows)
                if subjects:
                    heads.executemany(keep_sql, subjects)
                heads.executemany(move_sql, moves)
            return inserts.rowcount
    inserted = driver.executemany(insert_sql, rows).rowcount
    if subjects:
        driver.executemany(keep_sql, subjects)
    driver.executemany(move_sql, moves)
    return inserted


@cache
def _time_processor(dialect):
    # SQLite stores a timestamp as SQLAlchemy formats it; psycopg takes the datetime itself.
    column_type = ConsentRecord.__table__.c.server_time.type
    return column_type.dialect_impl(dialect).bind_processor(dialect) or (lambda value: value)


def begin_immediate(connection):
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
    EventConflict, SiteChanged, SubjectNotProven or ConsentIdTaken. The caller commits. The head
    row is locked first (SQLite: BEGIN IMMEDIATE, PostgreSQL: FOR UPDATE), so concurrent appends
    for one site wait for each other and the chain stays linear. Per site: one read of the head
    and the site's stamp (with the subject keys and consent owners), one read of the records
    already stored under the event ids, one insert of every new record and one head move. A
    request whose content names a subject_secret_hash must match the hash the subject's first
    record kept (the first keeps it), and may not use another subject's consent id (see
    app.ledger.subjects).

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
        begin_immediate(connection)
    by_site = {}
    for index, request in enumerate(requests):
        by_site.setdefault(request.site_id, []).append((index, request))
    outcomes, rows, moves, subjects = [None] * len(requests), [], [], []
    to_time = _time_processor(connection.dialect)
    # Heads are locked in site order, so batches of two writers cannot deadlock.
    for site_id in sorted(by_site):
        pending = by_site[site_id]
        event_ids = sorted({request.event_id for _i, request in pending}) if lookup else []
        reads = [binding_read(site_id, [request.content for _i, request in pending],
                              _placeholder(postgres))]
        head = _head_for_append(driver, postgres, site_id, event_ids, reads)
        if head is None:
            for index, _request in pending:
                outcomes[index] = SiteChanged(site_id)
            continue
        binding = SubjectBinding(site_id, head[4][0])
        move = _chain_site(site_id, head, pending, outcomes, rows, binding, to_time)
        subjects += binding.new_keys
        if move:
            moves.append(move)
    if not lookup and any(isinstance(outcome, SubjectNotProven | ConsentIdTaken)
                          for outcome in outcomes):
        raise EventSeen()  # a retry of a stored event is answered as such, so look events up
    if rows and _write_records(driver, postgres, rows, moves, subjects) != len(rows):
        raise EventSeen()
    return outcomes


def _retried(stored, request):
    """Answer a report whose event id is stored: the same event (with the same subject secret)
    gets the stored record, anything else a refusal."""
    record, content = stored
    if not _same_event(content, request.content):
        return EventConflict(request.event_id)
    if content.get("subject_secret_hash") != request.content.get("subject_secret_hash"):
        return SubjectNotProven(request.content["subject_id"])
    return Appended(record, created=False)


def _chain_site(site_id, head, pending, outcomes, rows, binding, to_time):
    """Chain one site's requests to its head, filling outcomes and rows (and the binding's new
    subject keys); return the head move."""
    seq, head_hash, stamp, stored, _reads = head
    start = seq
    for index, request in pending:
        if request.site_stamp is not None and request.site_stamp != stamp:
            outcomes[index] = SiteChanged(site_id)
        elif request.event_id in stored:
            outcomes[index] = _retried(stored[request.event_id], request)
        elif refusal := binding.refusal(request.content):
            outcomes[index] = refusal
        else:
            seq += 1
            # The chain's site, position and id are part of what the hash covers.
            content = {**request.content, "site": site_id, "seq": seq,
                       "record_id": str(uuid.uuid4())}
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


def _head_for_append(driver, postgres, site_id, event_ids, reads):
    head = _locked_head(driver, postgres, site_id, event_ids, reads)
    if head is None:
        # The site's first record: create its head at the genesis hash (once, whoever wins).
        p = _placeholder(postgres)
        driver.execute(f"INSERT INTO ledger_heads (site_id, seq, head_hash) VALUES ({p}, 0, {p})"
                       " ON CONFLICT (site_id) DO NOTHING", (site_id, GENESIS_HASH))
        head = _locked_head(driver, postgres, site_id, event_ids, reads)
    return head
