"""Append records to the ledger: one transaction per batch, chained to each site's head.

Appends for one site wait for each other on its head row (SQLite: the write lock, taken early;
PostgreSQL: FOR UPDATE), so the chain stays linear across threads, processes and nodes. The
statements go to the database driver directly: the intake's hot path, with a handful of
statements per batch whatever its size.
"""
import fcntl
import json
import os
import threading
import uuid
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy.exc import DBAPIError

from app.ledger.proof import GENESIS_HASH, canonical_text, hash_canonical
from app.models import ConsentRecord

#: A retried report must repeat these; anything else reusing its event id is refused.
SAME_EVENT_KEYS = ("consent_id", "subject_id", "event", "ui_action", "choices")


class EventConflict(Exception):
    """An event id already names a different consent event."""


class EventSeen(Exception):
    """An append without lookup met an event id already stored; append again with lookup."""


class SiteChanged(Exception):
    """The site's row changed (or went) after the report was checked against it."""


class SubjectNotProven(Exception):
    """A report for a known subject did not present the secret its first report carried."""


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
#: The secret hashes of the batch's subjects, and the keys of subjects new to the site.
_SUBJECTS_SQL = ("SELECT subject_id, secret_hash FROM subject_keys"
                 " WHERE site_id = {p} AND subject_id IN ({subjects})")
_KEEP_SUBJECT_SQL = ("INSERT INTO subject_keys (site_id, subject_id, secret_hash)"
                     " VALUES ({p}, {p}, {p}) ON CONFLICT (site_id, subject_id) DO NOTHING")


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


def _locked_head(driver, postgres, site_id, event_ids, subject_ids):
    """Return (seq, head_hash, site stamp, {event_id: (Stored, content)}, {subject_id: secret
    hash}), or None without a head.

    PostgreSQL locks the head row; SQLite's write lock is already held. Stored records are
    looked up only for the event ids given, subject keys for the subject ids given.
    """
    p = _placeholder(postgres)
    head_sql = _HEAD_SQL.format(p=p) + (" FOR UPDATE OF h" if postgres else "")
    events_sql = _EVENTS_SQL.format(p=p, events=", ".join([p] * len(event_ids)))
    subjects_sql = _SUBJECTS_SQL.format(p=p, subjects=", ".join([p] * len(subject_ids)))
    if postgres:
        with _pipeline(driver):  # BEGIN and the reads travel together
            head = driver.execute(head_sql, (site_id,))
            # Planned afresh each time: a generic plan made while the table was nearly empty
            # scans the site's whole chain by (site, seq) for ever after; a plan for the values
            # at hand picks the (site, event) index once the table has grown.
            found = (driver.execute(events_sql, (site_id, *event_ids), prepare=False)
                     if event_ids else None)
            keys = (driver.execute(subjects_sql, (site_id, *subject_ids), prepare=False)
                    if subject_ids else None)
            head, found = head.fetchone(), found.fetchall() if found else []
            keys = keys.fetchall() if keys else []
    else:
        head = driver.execute(head_sql, (site_id,)).fetchone()
        found = driver.execute(events_sql, (site_id, *event_ids)).fetchall() if event_ids else []
        keys = (driver.execute(subjects_sql, (site_id, *subject_ids)).fetchall()
                if subject_ids else [])
    if head is None:
        return None
    stored = {}
    for event_id, record_id, seq, record_hash, content in found:
        if isinstance(content, str):
            content = json.loads(content)
        stored[event_id] = (Stored(record_id, seq, record_hash), content)
    return (*head, stored, dict(keys))


def _pipeline(driver):
    """Send the statements of a block in one round trip where psycopg and libpq allow it."""
    from psycopg import Pipeline

    return driver.pipeline() if Pipeline.is_supported() else nullcontext()


def _write_records(driver, postgres, rows, moves, subjects):
    """Insert the records (skipping any whose event id is stored), keep the new subjects'
    secret hashes and move the heads; return how many records were inserted."""
    p = _placeholder(postgres)
    insert_sql, move_sql = _INSERT_SQL.format(p=p), _MOVE_HEAD_SQL.format(p=p)
    keep_sql = _KEEP_SUBJECT_SQL.format(p=p)
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
    EventConflict, SiteChanged or SubjectNotProven. The caller commits. The head row is locked first (SQLite:
    BEGIN IMMEDIATE, PostgreSQL: FOR UPDATE), so concurrent appends for one site wait for each
    other and the chain stays linear. Per site: one read of the head and the site's stamp, one
    read of the records already stored under the event ids, one insert of every new record and
    one head move. A request whose content names a subject_secret_hash must match the hash the
    subject's first record kept; the first keeps it.

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
        subject_ids = sorted({request.content["subject_id"] for _i, request in pending
                              if "subject_secret_hash" in request.content})
        head = _head_for_append(driver, postgres, site_id, event_ids, subject_ids)
        if head is None:
            for index, _request in pending:
                outcomes[index] = SiteChanged(site_id)
            continue
        move = _chain_site(site_id, head, pending, outcomes, rows, subjects, to_time)
        if move:
            moves.append(move)
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


def _proven(keys, content, site_id, subjects):
    """Tell whether the content's subject secret matches its subject's; keep a new subject's."""
    if "subject_secret_hash" not in content:
        return True
    subject_id, secret_hash = content["subject_id"], content["subject_secret_hash"]
    if subject_id not in keys:
        keys[subject_id] = secret_hash
        subjects.append((site_id, subject_id, secret_hash))
        return True
    return keys[subject_id] is not None and keys[subject_id] == secret_hash


def _chain_site(site_id, head, pending, outcomes, rows, subjects, to_time):
    """Chain one site's requests to its head, filling outcomes, rows and new subject keys;
    return the head move."""
    seq, head_hash, stamp, stored, keys = head
    start = seq
    for index, request in pending:
        if request.site_stamp is not None and request.site_stamp != stamp:
            outcomes[index] = SiteChanged(site_id)
        elif request.event_id in stored:
            outcomes[index] = _retried(stored[request.event_id], request)
        elif not _proven(keys, request.content, site_id, subjects):
            outcomes[index] = SubjectNotProven(request.content["subject_id"])
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


def _head_for_append(driver, postgres, site_id, event_ids, subject_ids):
    head = _locked_head(driver, postgres, site_id, event_ids, subject_ids)
    if head is None:
        # The site's first record: create its head at the genesis hash (once, whoever wins).
        p = _placeholder(postgres)
        driver.execute(f"INSERT INTO ledger_heads (site_id, seq, head_hash) VALUES ({p}, 0, {p})"
                       " ON CONFLICT (site_id) DO NOTHING", (site_id, GENESIS_HASH))
        head = _locked_head(driver, postgres, site_id, event_ids, subject_ids)
    return head
