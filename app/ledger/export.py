"""Streamed, verifiable exports of consent records as CSV, JSON or NDJSON (no Flask inside).

Rows are read as plain columns in bounded batches (a server-side cursor on PostgreSQL) and
written in chunks, so memory stays flat however many records an export holds. The file is
hashed as it streams; its manifest gives the hash, the count, the first and last record hash
and the sites' signed checkpoints, so tools/verify_export.py can check it offline.
"""
import hashlib
import json
import queue
import re
import threading
from dataclasses import replace

from sqlalchemy import Text, cast, select

from app.ledger.manifest import Coverage, build_manifest
from app.ledger.proof import canonical_bytes
from app.ledger.repository import LedgerRepository
from app.ledger.search import filter_records, latest_record_id
from app.ledger.tables import ConsentRecord

FORMATS = ("csv", "json", "ndjson")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json",
               "ndjson": "application/x-ndjson"}
#: The fields of every exported row, in this order; content is the exact text the hash covers.
COLUMNS = ("site_id", "seq", "record_id", "event_id", "consent_id", "subject_id", "event",
           "server_time", "prev_hash", "record_hash", "content")
#: Rows fetched from the database at a time, and written per chunk.
BATCH = 2000


def content_bytes(stored, prev_hash, record_hash):
    """Return (the canonical JSON bytes a record's hash covers, its server_time) from the stored content.

    The one place an export makes the hashed text. The ledger stores content as that very text,
    so it is used as it is when it hashes to the record's hash; older rows, kept in another
    spelling, are parsed and serialized with proof.canonical_bytes, exactly as the hash was made.
    """
    raw = stored.encode()
    hashed = hashlib.sha256(prev_hash.encode())
    hashed.update(_NEWLINE)
    hashed.update(raw)
    if hashed.hexdigest() == record_hash:
        # Keys are sorted, so the record's own server_time lies after "seq", past any nested one.
        start = stored.find(_SERVER_TIME, stored.rfind(_SEQ))
        if start >= 0:
            start += len(_SERVER_TIME)
            return raw, stored[start:stored.index('"', start)]
    content = json.loads(stored)
    return canonical_bytes(content), content.get("server_time") or ""


_NEWLINE = b"\n"
_SEQ = '"seq":'
# In canonical content the record's own server_time is a top-level string key.
_SERVER_TIME = '"server_time":"'


def _values(rows):
    """Turn database rows into export rows: (site_id, seq, ..., server_time, ..., content bytes)."""
    values = []
    for site_id, seq, record_id, event_id, consent_id, subject_id, event, prev_hash, record_hash, \
            stored in rows:
        content, server_time = content_bytes(stored, prev_hash, record_hash)
        values.append((site_id, seq, record_id, event_id, consent_id, subject_id, event, server_time,
                       prev_hash, record_hash, content))
    return values


#: Database columns an export reads, in order; content as the stored text, parsed only once.
SELECTED = ("site_id", "seq", "record_id", "event_id", "consent_id", "subject_id", "event",
            "prev_hash", "record_hash")
_NEEDS_QUOTES = re.compile(r'[",\r\n]')
_PLAIN_ROW = ",".join(["%s"] * 10)


def _csv_field(value):
    text = str(value)
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if _NEEDS_QUOTES.search(text) else text


class _CsvWriter:
    """RFC 4180 with CRLF line ends; content is always quoted (csv.writer is 8x slower here)."""

    def head(self):
        return (",".join(COLUMNS) + "\r\n").encode()

    def rows(self, values):
        lines = []
        for row in values:
            plain = _PLAIN_ROW % row[:10]
            if plain.count(",") != 9 or '"' in plain or "\n" in plain or "\r" in plain:
                plain = ",".join([_csv_field(value) for value in row[:10]])
            lines.append(b"%s,\"%s\"\r\n" % (plain.encode(), row[10].replace(b'"', b'""')))
        return b"".join(lines)

    def tail(self):
        return b""


class _NdjsonWriter:
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    def _line(self, row):
        return self.encode(dict(zip(COLUMNS, (*row[:10], row[10].decode()), strict=True)))

    def head(self):
        return b""

    def rows(self, values):
        return "".join([self._line(row) + "\n" for row in values]).encode()

    def tail(self):
        return b""


class _JsonWriter(_NdjsonWriter):
    """A JSON array with one record per line, so it also streams and reads line by line."""

    def __init__(self):
        self.separator = ""

    def head(self):
        return b"["

    def rows(self, values):
        if not values:
            return b""
        text = ",".join([f"\n{self._line(row)}" for row in values])
        text, self.separator = self.separator + text, ","
        return text.encode()

    def tail(self):
        return b"\n]\n"


class _Tally:
    """What the manifest says about the rows: counts and the ends of each site's run."""

    def __init__(self):
        self.count, self.sites, self.first_hash, self.last_hash = 0, {}, None, None

    def add(self, rows):
        sites = self.sites
        for row in rows:
            site = sites.get(row[0])
            if site is None:
                site = sites[row[0]] = {"record_count": 0, "first_seq": row[1]}
            site["record_count"] += 1
            site["last_seq"] = row[1]
        if rows:
            self.count += len(rows)
            self.first_hash = self.first_hash or rows[0][9]
            self.last_hash = rows[-1][9]


WRITERS = {"csv": _CsvWriter, "json": _JsonWriter, "ndjson": _NdjsonWriter}


def _batches(session, statement):
    """Yield the rows a statement selects as lists of at most BATCH plain tuples, in order.

    On PostgreSQL the next batch is fetched by a thread of its own while this one is written
    out, so the server produces rows while Python formats them.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        compiled = statement.compile(dialect=connection.dialect,
                                     compile_kwargs={"render_postcompile": True})
        driver = connection.connection.driver_connection
        # A named (server-side) cursor sends BATCH rows per round trip: memory stays flat.
        with driver.cursor(name="consent_export", binary=True) as cursor:
            cursor.execute(str(compiled), compiled.params)
            yield from _prefetched(lambda: cursor.fetchmany(BATCH))
        return
    # SQLite reads in this process: a fetching thread would only contend for the GIL. SQLAlchemy
    # binds the parameters; the rows come straight from the driver's cursor as plain tuples,
    # since wrapping each in a Row would cost as much as reading it.
    result = connection.execute(statement)
    try:
        while batch := result.cursor.fetchmany(BATCH):
            yield batch
    finally:
        result.close()


def _prefetched(fetch, depth=2):
    """Yield what fetch() returns until it returns nothing, fetching ahead in a thread."""
    batches, stop = queue.Queue(depth), threading.Event()

    def produce():
        try:
            while not stop.is_set():
                batch = fetch()
                _hand_over(batches, batch, stop)
                if not batch:
                    return
        except Exception as error:  # the consumer raises it in its own thread
            _hand_over(batches, error, stop)

    worker = threading.Thread(target=produce, name="export-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            batch = batches.get()
            if isinstance(batch, Exception):
                raise batch
            if not batch:
                return
            yield batch
    finally:
        # A consumer that stops early (a client that went away) ends the fetching too.
        stop.set()
        worker.join()


def _hand_over(batches, item, stop):
    while not stop.is_set():
        try:
            batches.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


class Export:
    """One export of the records a query finds; iterate chunks(), then read manifest().

    A query without up_to_id is pinned to the newest record when the export starts, signing
    the chains' heads first, and the manifest's query shows the pin, so the same file can be
    made again later. The manifest is signed with private_key, the ledger's signing key.
    """

    def __init__(self, session, query, fmt, private_key, verify_workers=None, due_within=None,
                 screenshots=None):
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        self.session, self.query, self.format = session, query, fmt
        self.private_key, self.verify_workers = private_key, verify_workers
        #: How long a record may wait for its first checkpoint (None: not checked).
        self.due_within = due_within
        #: What the manifest lists of the banner screenshots exported beside (None: none asked).
        self.screenshots = screenshots
        self._manifest = None

    def chunks(self):
        """Yield the file as bytes, a bounded batch of rows at a time."""
        if self.query.up_to_id is None:
            self.query = replace(self.query, up_to_id=latest_record_id(
                self.session, sign_with=self.private_key, site_ids=self.query.site_ids))
        site_ids = (list(self.query.site_ids) if self.query.site_ids is not None
                    else LedgerRepository(self.session).site_ids())
        coverage = Coverage(self.session, site_ids)
        writer, digest, tally = WRITERS[self.format](), hashlib.sha256(), _Tally()
        columns = [getattr(ConsentRecord, name) for name in SELECTED]
        statement = filter_records(select(*columns, cast(ConsentRecord.content, Text)), self.query)
        head = writer.head()
        digest.update(head)
        yield head
        for batch in _batches(self.session, statement):
            values = _values(batch)
            tally.add(values)
            coverage.add(values)
            data = writer.rows(values)
            digest.update(data)
            yield data
        tail = writer.tail()
        digest.update(tail)
        if tail:
            yield tail
        self._manifest = self._build_manifest(digest.hexdigest(), tally, coverage, site_ids)

    def manifest(self):
        """Return the manifest; valid once chunks() has been read to the end."""
        if self._manifest is None:
            raise RuntimeError("the manifest is known only after the whole export was read")
        return self._manifest

    def _build_manifest(self, file_sha256, tally, coverage, site_ids):
        facts = {"format": self.format, "file_sha256": file_sha256, "record_count": tally.count,
                 "first_record_hash": tally.first_hash, "last_record_hash": tally.last_hash}
        if self.screenshots is not None:
            facts["screenshots"] = self.screenshots
        return build_manifest(self.session, facts, self.query, tally.sites, coverage, site_ids,
                              self.private_key, self.verify_workers, self.due_within)


def compute_manifest(session, query, fmt, private_key, verify_workers=None, due_within=None,
                     screenshots=None):
    """Run an export without keeping it and return its manifest (for a manifest fetched apart)."""
    export = Export(session, query, fmt, private_key, verify_workers, due_within, screenshots)
    for _chunk in export.chunks():
        pass
    return export.manifest()


def write_export(session, query, fmt, out, private_key, verify_workers=None, due_within=None,
                 screenshots=None):
    """Write an export to a binary file object and return its manifest."""
    export = Export(session, query, fmt, private_key, verify_workers, due_within, screenshots)
    for chunk in export.chunks():
        out.write(chunk)
    return export.manifest()
