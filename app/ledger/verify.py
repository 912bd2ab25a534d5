"""Check a chain of records: every hash, every link, no gaps, nothing cut off the end.

A record's content is stored as the canonical text its hash covers (see CanonicalJSON), so a
record is checked by hashing its stored text as it is; only a record whose text is not canonical
(written before the text was stored canonically) or that fails a check is parsed. Long chains are
cut into seq ranges checked by parallel processes, each over a connection of its own, and the
ranges are joined in order, so the verdict (and the first bad record it names) is the same as a
single pass would give.
"""
import hashlib
import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from operator import attrgetter

from app.ledger.checkpoints import (
    LOG_GENESIS,
    payload_digest,
    signature_holds,
    stored_payload,
)
from app.ledger.proof import GENESIS_HASH, chain_hash

#: Columns kept beside the hashed content for searching; they must agree with it.
INDEXED = ("record_id", "event_id", "consent_id", "subject_id", "event", "seq")
#: What verification reads of each record, in this order.
CHAIN_COLUMNS = ("seq", "record_id", "event_id", "consent_id", "subject_id", "event", "content",
                 "prev_hash", "record_hash")
#: Chains at least this long are checked by parallel processes.
PARALLEL_FROM = 100_000

_as_row = attrgetter(*CHAIN_COLUMNS)


@dataclass(frozen=True)
class Verdict:
    """The outcome of verifying one site's chain."""

    site_id: str
    count: int
    ok: bool
    problem: str = ""

    def __str__(self):
        if self.ok:
            return f"{self.site_id}: {self.count} records, chain intact"
        return f"{self.site_id}: BROKEN after {self.count} good records: {self.problem}"


@dataclass(frozen=True)
class Segment:
    """A run of consecutive records checked on its own, without the record before it."""

    #: Good records, from the first, before the first fault (all of them when there is none).
    count: int
    #: (seq, record_id, prev_hash) of the first record, or None for an empty run.
    first: tuple | None
    #: (seq, record_hash) of the last good record, or None.
    last: tuple | None
    #: The first fault inside the run ("" when none); a fault of the first record itself is here
    #: too, apart from how it links to the record before the run.
    problem: str = ""


def verify_chain(site_id, records, head, checkpoints=(), public_key=None):
    """Verify records in seq order against signed checkpoints and the head; stop at the first fault.

    Records are tuples in CHAIN_COLUMNS order or objects with those attributes; content is the
    stored canonical text or the parsed content. Without a public key, checkpoints are compared
    with the chain but their signatures are not checked.
    """
    return _verdict(site_id, head, checkpoints, public_key,
                    lambda signed: [check_segment(records, signed)])


def verify_stored_chain(site_id, database_url, head, checkpoints=(), public_key=None, low=None,
                        workers=None):
    """Verify a site's stored chain up to its head, reading it over connections of our own.

    low is the smallest seq stored (None when there is none); long chains are split into seq
    ranges checked in parallel.
    """
    from app.ledger.repository import read_chain

    high = head.seq if head else 0
    workers = workers or os.cpu_count() or 1
    if low is None or high - low + 1 < PARALLEL_FROM or workers < 2:
        def segments(signed):
            return [check_segment(read_chain(database_url, site_id, None, high or None), signed)]
    else:
        bounds = _split(low, high, workers)

        def segments(signed):
            bounds[0] = (None, bounds[0][1])  # the first range also takes anything below low
            with ProcessPoolExecutor(len(bounds), mp_context=get_context("fork")) as pool:
                futures = [pool.submit(_check_range, database_url, site_id, lo, hi,
                                       {seq: signed[seq] for seq in signed
                                        if (lo is None or seq >= lo) and seq <= hi})
                           for lo, hi in bounds]
                return [future.result() for future in futures]
    return _verdict(site_id, head, checkpoints, public_key, segments)


def _split(low, high, parts):
    size = -(-(high - low + 1) // parts)
    return [(start, min(start + size - 1, high)) for start in range(low, high + 1, size)]


def _check_range(database_url, site_id, low, high, signed):
    from app.ledger.repository import read_chain

    return check_segment(read_chain(database_url, site_id, low, high), signed)


def _verdict(site_id, head, checkpoints, public_key, segments):
    bad = _bad_signature(site_id, checkpoints, public_key)
    if bad:
        return Verdict(site_id, 0, False, bad)
    anchors = [c for c in checkpoints if c.kind == "anchor"]
    start_seq, start_hash = (anchors[-1].seq, anchors[-1].head_hash) if anchors else (0, GENESIS_HASH)
    signed = {}
    for checkpoint in checkpoints:
        if checkpoint.seq > start_seq:
            signed.setdefault(checkpoint.seq, []).append((checkpoint.head_hash,
                                                          checkpoint.created_at))
    expected_prev, expected_seq, count = start_hash, start_seq + 1, 0
    for segment in segments(signed):
        if segment.first is None:
            continue
        seq, record_id, prev_hash = segment.first
        problem = _link_fault(seq, prev_hash, expected_prev, expected_seq)
        if problem:
            return Verdict(site_id, count, False, f"record seq {seq} ({record_id}): {problem}")
        if segment.problem:
            return Verdict(site_id, count + segment.count, False, segment.problem)
        count += segment.count
        expected_seq, expected_prev = segment.last[0] + 1, segment.last[1]
    last_seq = expected_seq - 1
    pending = [seq for seq in signed if seq > last_seq]
    if pending:
        return Verdict(site_id, count, False, f"a signed checkpoint covers seq {max(pending)} but "
                       f"the chain ends at seq {last_seq}: records were removed from the end")
    head_seq, head_hash = (head.seq, head.head_hash) if head else (0, GENESIS_HASH)
    if (head_seq, head_hash) != (last_seq, expected_prev):
        return Verdict(site_id, count, False,
                       f"the chain ends at seq {last_seq} but its head says seq {head_seq}: "
                       "records were removed from the end")
    return Verdict(site_id, count, True)


def check_segment(records, signed):
    """Check consecutive records against each other, their hashes and the signed checkpoints.

    signed maps a seq to the (head_hash, created_at) of the checkpoints at it.
    """
    sha256 = hashlib.sha256
    count, first, expected_seq, expected_prev = 0, None, None, None
    for record in records:
        row = record if type(record) is tuple else _as_row(record)
        seq, record_id, event_id, consent_id, subject_id, event, content, prev_hash, record_hash = row
        if first is None:
            first, expected_seq, expected_prev = (seq, record_id, prev_hash), seq, prev_hash
        # The fast path: the stored text is canonical and hashes right, and each indexed column
        # appears in it as "key":value (a value with a quote or backslash is compared parsed).
        if not (seq == expected_seq and prev_hash == expected_prev and type(content) is str
                and sha256(f"{prev_hash}\n{content}".encode()).hexdigest() == record_hash
                and f'"consent_id":"{consent_id}","event":"{event}","event_id":"{event_id}",'
                in content and f'"record_id":"{record_id}",' in content
                and f'"seq":{seq},' in content and f'"subject_id":"{subject_id}",' in content
                and '"' not in (values := f"{record_id}{event_id}{consent_id}{subject_id}{event}")
                and "\\" not in values):
            problem = _record_fault(row, expected_prev, expected_seq)
            if problem:
                return Segment(count, first, (expected_seq - 1, expected_prev),
                               f"record seq {seq} ({record_id}): {problem}")
        if seq in signed:
            for head_hash, created_at in signed[seq]:
                if head_hash != record_hash:
                    return Segment(count, first, (expected_seq - 1, expected_prev),
                                   f"record seq {seq} ({record_id}): differs from the signed "
                                   f"checkpoint of {created_at} (rewritten after it was signed)")
        expected_prev, expected_seq, count = record_hash, seq + 1, count + 1
    return Segment(count, first, (expected_seq - 1, expected_prev) if first else None)


def _link_fault(seq, prev_hash, expected_prev, expected_seq):
    if seq != expected_seq:
        kind = "missing" if seq > expected_seq else "out of order"
        return f"expected seq {expected_seq}; records are {kind}"
    if prev_hash != expected_prev:
        return "does not link to the previous record (inserted or reordered)"
    return ""


def _record_fault(row, expected_prev, expected_seq):
    seq, _record_id, _event_id, _consent_id, _subject_id, _event, content, prev_hash, record_hash = row
    problem = _link_fault(seq, prev_hash, expected_prev, expected_seq)
    if problem:
        return problem
    if isinstance(content, str | bytes):
        try:
            content = json.loads(content)
        except ValueError:
            return "content is not JSON (altered)"
    if not isinstance(content, dict) or chain_hash(prev_hash, content) != record_hash:
        return "content does not match its hash (altered)"
    for column, value in zip(CHAIN_COLUMNS, row, strict=False):
        if column in INDEXED and content.get(column) != value:
            return f"column {column} differs from the hashed content (altered)"
    return ""


def _bad_signature(site_id, checkpoints, public_key):
    if public_key is None:
        return ""
    for checkpoint in checkpoints:
        if not signature_holds(public_key, stored_payload(checkpoint), checkpoint.signature):
            return f"checkpoint at seq {checkpoint.seq} has no valid signature (forged or altered)"
    return ""


def verify_checkpoint_log(checkpoints, public_key=None, anchors=()):
    """Check that the checkpoints of all sites, in signing order, link up; return a problem or "".

    Each checkpoint names the digest of the one signed before it, so a checkpoint removed from
    the middle of the log, or every checkpoint of a deleted site, breaks a link. Checkpoints
    signed before the log existed carry no link and are skipped. Checkpoints cut from the end
    leave no gap: anchors, digests of checkpoints kept outside the database, must still be in
    the log.
    """
    problem = _log_links_up(checkpoints, public_key)
    if problem:
        return problem
    linked = set(linked_digests(checkpoints))
    for anchor in anchors:
        if anchor not in linked:
            return (f"the checkpoint {anchor} kept as an anchor is not in the log: checkpoints "
                    "were removed from its end, or it was rewritten")
    return ""


def linked_digests(checkpoints):
    """Return the digests of the checkpoints in the log, in signing order (the last is the
    latest, to keep as an anchor)."""
    return [checkpoint.digest for checkpoint in checkpoints if checkpoint.digest]


def _log_links_up(checkpoints, public_key):
    expected, count = LOG_GENESIS, 0
    for checkpoint in checkpoints:
        if checkpoint.prev_digest is None and checkpoint.digest is None:
            continue
        where = f"checkpoint of {checkpoint.site_id} at seq {checkpoint.seq}"
        payload = stored_payload(checkpoint)
        if payload_digest(payload) != checkpoint.digest:
            return f"{where}: does not match its digest (altered)"
        if public_key is not None and not signature_holds(public_key, payload,
                                                          checkpoint.signature):
            return f"{where}: has no valid signature (forged or altered)"
        if checkpoint.prev_digest != expected:
            removed = ("checkpoints at the start of the log were removed" if count == 0
                       else "a checkpoint before it was removed")
            return f"{where}: does not follow the checkpoint signed before it; {removed}"
        expected, count = checkpoint.digest, count + 1
    return ""
