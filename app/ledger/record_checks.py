"""The checks of one record read in chain order: its link, its hash, and every column that
repeats a value of its hashed content (no database, no Flask)."""
import json
from datetime import UTC, datetime

from app.ledger.proof import GENESIS_HASH, chain_hash

#: Columns kept beside the hashed content for searching; they must agree with it. (The site_id
#: column must equal the content's "site", and server_time the content's server_time.)
INDEXED = ("record_id", "event_id", "consent_id", "subject_id", "event", "seq")
#: What verification reads of each record, in this order.
CHAIN_COLUMNS = ("seq", "record_id", "event_id", "consent_id", "subject_id", "event",
                 "server_time", "content", "prev_hash", "record_hash")

def _same_time(column, text):
    """Tell whether a server_time column is the moment the content's ISO 8601 text names.

    PostgreSQL gives a datetime; SQLite its stored text, which must be spelled exactly as the
    ledger writes it (UTC, "YYYY-MM-DD HH:MM:SS.ffffff"), since searches by date compare that
    text: the same moment spelled otherwise would sort elsewhere.
    """
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return False
    if moment.tzinfo is None:
        return False
    if type(column) is str:
        return column == moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return isinstance(column, datetime) and column.tzinfo is not None and column == moment


def link_fault(seq, prev_hash, expected_prev, expected_seq):
    if seq != expected_seq:
        kind = "missing" if seq > expected_seq else "out of order"
        return f"expected seq {expected_seq}; records are {kind}"
    if prev_hash != expected_prev:
        return "does not link to the previous record (inserted or reordered)"
    return ""


def record_fault(row, site_id, expected_prev, expected_seq):
    seq, content, prev_hash, record_hash = row[0], row[7], row[8], row[9]
    problem = link_fault(seq, prev_hash, expected_prev, expected_seq)
    if problem:
        return problem
    if isinstance(content, str | bytes):
        try:
            content = json.loads(content)
        except ValueError:
            return "content is not JSON (altered)"
    if not isinstance(content, dict) or chain_hash(prev_hash, content) != record_hash:
        return "content does not match its hash (altered)"
    column = differing_column(row, site_id, content)
    return f"column {column} differs from the hashed content (altered)" if column else ""


def differing_column(row, site_id, content):
    """Return the first column of a record (a CHAIN_COLUMNS row) that repeats a value of its
    parsed content but differs from it, or None."""
    for column, value in zip(CHAIN_COLUMNS, row, strict=False):
        if column in INDEXED and content.get(column) != value:
            return column
    if content.get("site") != site_id:
        return "site_id"
    if not _same_time(row[6], content.get("server_time")):
        return "server_time"
    return None


class ChainFault(Exception):
    """A record read in chain order does not hold; the message names it and what is wrong."""


def walk_chain(rows, site_id, start_seq=0, start_hash=GENESIS_HASH):
    """Yield (row, parsed content) of rows read in chain order, each checked in full (hash,
    link, every repeated column) from the anchor at start_seq; raise ChainFault at the first
    record that does not hold."""
    expected_seq, expected_prev = start_seq + 1, start_hash
    for row in rows:
        problem = record_fault(row, site_id, expected_prev, expected_seq)
        if problem:
            raise ChainFault(f"record seq {row[0]} ({row[1]}): {problem}")
        content = row[7]
        yield row, json.loads(content) if isinstance(content, str | bytes) else content
        expected_seq, expected_prev = row[0] + 1, row[9]


#: Content keys that name a legal text by its digest (null when only a url was known).
DOCUMENT_KEYS = ("consent_document_digest", "policy_digest")
_DOCUMENT_FRAGMENTS = tuple(f'"{key}":"' for key in DOCUMENT_KEYS)


def document_references(content):
    """Return ("document", digest) of each legal text a record names, from its canonical text
    or its parsed content."""
    if isinstance(content, dict):
        return tuple(("document", content[key]) for key in DOCUMENT_KEYS if content.get(key))
    refs = ()
    for fragment in _DOCUMENT_FRAGMENTS:
        at = content.find(fragment)
        if at >= 0:
            at += len(fragment)
            refs += (("document", content[at:content.index('"', at)]),)
    return refs
