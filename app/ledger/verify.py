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
    key_id,
    signature_holds,
    stored_payload,
)
from app.ledger.proof import GENESIS_HASH
from app.ledger.record_checks import (
    CHAIN_COLUMNS,
    document_references,
    link_fault,
    record_fault,
)

#: Chains at least this long are checked by parallel processes.
PARALLEL_FROM = 100_000

_attributes = attrgetter(*CHAIN_COLUMNS)


def _as_row(record):
    # An object carries no database rendering of its time: its record takes the parsed check.
    return (*_attributes(record), None)


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
    #: What the run's records name by hash: ("catalog", version, hash), ("texts", digest) and
    #: ("document", digest).
    references: frozenset = frozenset()


def verify_chain(site_id, records, head, checkpoints=(), public_key=None, references=None):
    """Verify records in seq order against signed checkpoints and the head; stop at the first fault.

    Records are tuples in CHAIN_COLUMNS order or objects with those attributes; content is the
    stored canonical text or the parsed content. Checkpoints need the public key that signed
    them: without one, a chain with checkpoints does not verify.
    """
    return _verdict(site_id, head, checkpoints, public_key,
                    lambda signed: [check_segment(records, signed, site_id)], references)


def verify_stored_chain(site_id, database_url, head, checkpoints=(), public_key=None, low=None,
                        workers=None, references=None, highest=None):
    """Verify a site's stored chain up to its head, reading it over connections of our own.

    low and highest are the smallest and largest seq stored (None when there is none), read
    with the head: a record past the head was put there behind the ledger's back. Long chains
    are split into seq ranges checked in parallel. references(what the records name by hash)
    returns a problem with the stored catalogs and text sets they name, or "".
    """
    head_seq = head.seq if head else 0
    if highest is not None and highest > head_seq:
        return Verdict(site_id, 0, False,
                       f"a record at seq {highest} lies past the chain's head (seq {head_seq}): "
                       "inserted behind the ledger's back, or the head was altered")
    from app.ledger.repository import read_chain

    high = head.seq if head else 0
    workers = workers or os.cpu_count() or 1
    if low is None or high - low + 1 < PARALLEL_FROM or workers < 2:
        def segments(signed):
            return [check_segment(read_chain(database_url, site_id, None, high or None), signed,
                                  site_id)]
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
    return _verdict(site_id, head, checkpoints, public_key, segments, references)


def _split(low, high, parts):
    size = -(-(high - low + 1) // parts)
    return [(start, min(start + size - 1, high)) for start in range(low, high + 1, size)]


def _check_range(database_url, site_id, low, high, signed):
    from app.ledger.repository import read_chain

    return check_segment(read_chain(database_url, site_id, low, high), signed, site_id)


def _verdict(site_id, head, checkpoints, public_key, segments, references=None):
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
    named = set()
    for segment in segments(signed):
        named.update(segment.references)
        if segment.first is None:
            continue
        seq, record_id, prev_hash = segment.first
        problem = link_fault(seq, prev_hash, expected_prev, expected_seq)
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
    problem = references(named) if references else ""
    if problem:
        return Verdict(site_id, count, False, problem)
    return Verdict(site_id, count, True)


def check_segment(records, signed, site_id):
    """Check consecutive records against each other, their hashes and the signed checkpoints.

    signed maps a seq to the (head_hash, created_at) of the checkpoints at it. Every column that
    repeats a value of the hashed content (site, seq, the ids, event, server_time) must agree
    with it.
    """
    sha256 = hashlib.sha256
    site_fragment = f',"site":"{site_id}",'
    count, first, expected_seq, expected_prev = 0, None, None, None
    references, catalog, texts, catalog_at, texts_back = set(), "", "", 0, 0
    for record in records:
        row = record if type(record) is tuple else _as_row(record)
        (seq, record_id, event_id, consent_id, subject_id, event, _server_time, content, prev_hash,
         record_hash, time_text) = row
        if first is None:
            first, expected_seq, expected_prev = (seq, record_id, prev_hash), seq, prev_hash
        # The fast path: the stored text is canonical and hashes right, and names each repeated
        # column's value (server_time as the database renders it). Keys are sorted, so "seq",
        # "server_time", "site" and "subject_id" follow each other; a value holding a quote or
        # backslash is left to the parsed check. A text that only looks right here must still
        # hash right and link, so this never accepts a changed record.
        fast = (seq == expected_seq and prev_hash == expected_prev and type(content) is str
                and sha256(f"{prev_hash}\n{content}".encode()).hexdigest() == record_hash
                and f'"seq":{seq},"server_time":"{time_text}"{site_fragment}"subject_id":'
                    f'"{subject_id}",' in content
                and f'"consent_id":"{consent_id}","event":"{event}","event_id":"{event_id}",'
                    in content
                and f'"record_id":"{record_id}",' in content
                and '"' not in (values := f"{record_id}{event_id}{consent_id}{subject_id}{event}")
                and "\\" not in values)
        if not fast:
            problem = record_fault(row, site_id, expected_prev, expected_seq)
            if problem:
                return Segment(count, first, (expected_seq - 1, expected_prev),
                               f"record seq {seq} ({record_id}): {problem}")
            references.update(_parsed_references(content))
            catalog = texts = ""
        # Neighbours nearly always name the same catalog and texts, at the same places.
        elif not (catalog and texts and content.startswith(catalog, catalog_at)
                  and (content.startswith(texts, len(content) - texts_back)
                       or content.rfind(texts) >= 0)):
            references.update(_text_references(content))
            catalog, catalog_at, texts, texts_back = _reference_fragments(content)
        if fast:
            # A site's legal texts can change while its catalog and texts stay the same.
            references.update(document_references(content))
        if seq in signed:
            for head_hash, created_at in signed[seq]:
                if head_hash != record_hash:
                    return Segment(count, first, (expected_seq - 1, expected_prev),
                                   f"record seq {seq} ({record_id}): differs from the signed "
                                   f"checkpoint of {created_at} (rewritten after it was signed)")
        expected_prev, expected_seq, count = record_hash, seq + 1, count + 1
    return Segment(count, first, (expected_seq - 1, expected_prev) if first else None,
                   references=frozenset(references))


def _reference_fragments(content):
    """Return the exact texts that name a record's catalog and text set ("" when absent), the
    first's offset from the start and the second's from the end."""
    catalog_at = content.find(_CATALOG_KEY)
    catalog = content[catalog_at:content.find(",", content.find(_VERSION_KEY, catalog_at)
                                              + len(_VERSION_KEY)) + 1] \
        if catalog_at >= 0 and _VERSION_KEY in content else ""
    at = content.rfind(_TEXTS_KEY)
    texts = content[at:content.find('"', at + len(_TEXTS_KEY)) + 1] if at >= 0 else ""
    return catalog, max(catalog_at, 0), texts, len(content) - at


_CATALOG_KEY = '"catalog_hash":"'
_VERSION_KEY = '","catalog_version":'
_TEXTS_KEY = '"texts_digest":"'


def _text_references(content):
    """Return what a record's canonical text names by hash: its catalog, its text set."""
    refs = ()
    at = content.find(_CATALOG_KEY)
    if at >= 0:
        at += len(_CATALOG_KEY)
        end = content.index('"', at)
        start = end + len(_VERSION_KEY)
        version = content[start:content.find(",", start)] if content.startswith(
            _VERSION_KEY, end) else None
        refs += (("catalog", int(version) if version and version.isdigit() else version,
                  content[at:end]),)
    at = content.rfind(_TEXTS_KEY)
    if at >= 0:
        at += len(_TEXTS_KEY)
        refs += (("texts", content[at:content.index('"', at)]),)
    return refs


def _parsed_references(content):
    if isinstance(content, str | bytes):
        content = json.loads(content)
    refs = ()
    if "catalog_hash" in content:
        refs += (("catalog", content.get("catalog_version"), content["catalog_hash"]),)
    if "texts_digest" in content:
        refs += (("texts", content["texts_digest"]),)
    return refs + document_references(content)


def _bad_signature(site_id, checkpoints, public_key):
    if checkpoints and public_key is None:
        return "no public key to check the signed checkpoints with"
    for checkpoint in checkpoints:
        if not signature_holds(public_key, stored_payload(checkpoint), checkpoint.signature):
            return f"checkpoint at seq {checkpoint.seq} has no valid signature (forged or altered)"
        if checkpoint.key_id != key_id(public_key):
            return (f"checkpoint at seq {checkpoint.seq}: column key_id differs from the key "
                    "that signed it (altered)")
    return ""
