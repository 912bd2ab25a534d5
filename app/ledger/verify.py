"""Check a chain of records: every hash, every link, no gaps, nothing cut off the end."""
from dataclasses import dataclass

from app.ledger.checkpoints import checkpoint_payload, signature_holds
from app.ledger.proof import GENESIS_HASH, chain_hash

#: Columns kept beside the hashed content for searching; they must agree with it.
INDEXED = ("record_id", "event_id", "consent_id", "subject_id", "event", "seq")


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


def verify_chain(site_id, records, head, checkpoints=(), public_key=None):
    """Verify records in seq order against signed checkpoints and the head; stop at the first fault.

    Without a public key, checkpoints are compared with the chain but their signatures are not
    checked.
    """
    bad = _bad_signature(site_id, checkpoints, public_key)
    if bad:
        return Verdict(site_id, 0, False, bad)
    anchors = [c for c in checkpoints if c.kind == "anchor"]
    start_seq, start_hash = (anchors[-1].seq, anchors[-1].head_hash) if anchors else (0, GENESIS_HASH)
    pending = {}
    for checkpoint in checkpoints:
        if checkpoint.seq > start_seq:
            pending.setdefault(checkpoint.seq, []).append(checkpoint)
    expected_prev, expected_seq, count = start_hash, start_seq + 1, 0
    for record in records:
        problem = _record_problem(record, expected_prev, expected_seq) or _checkpoint_problem(
            record, pending.pop(record.seq, []))
        if problem:
            return Verdict(site_id, count, False, problem)
        expected_prev, expected_seq, count = record.record_hash, record.seq + 1, count + 1
    last_seq = expected_seq - 1
    if pending:
        return Verdict(site_id, count, False, f"a signed checkpoint covers seq {max(pending)} but "
                       f"the chain ends at seq {last_seq}: records were removed from the end")
    head_seq, head_hash = (head.seq, head.head_hash) if head else (0, GENESIS_HASH)
    if (head_seq, head_hash) != (last_seq, expected_prev):
        return Verdict(site_id, count, False,
                       f"the chain ends at seq {last_seq} but its head says seq {head_seq}: "
                       "records were removed from the end")
    return Verdict(site_id, count, True)


def _bad_signature(site_id, checkpoints, public_key):
    if public_key is None:
        return ""
    for checkpoint in checkpoints:
        payload = checkpoint_payload(site_id, checkpoint.seq, checkpoint.head_hash,
                                     checkpoint.created_at, checkpoint.kind)
        if not signature_holds(public_key, payload, checkpoint.signature):
            return f"checkpoint at seq {checkpoint.seq} has no valid signature (forged or altered)"
    return ""


def _checkpoint_problem(record, checkpoints):
    for checkpoint in checkpoints:
        if checkpoint.head_hash != record.record_hash:
            return (f"record seq {record.seq} ({record.record_id}): differs from the signed "
                    f"checkpoint of {checkpoint.created_at} (rewritten after it was signed)")
    return ""


def _record_problem(record, expected_prev, expected_seq):
    problem = _record_fault(record, expected_prev, expected_seq)
    return f"record seq {record.seq} ({record.record_id}): {problem}" if problem else ""


def _record_fault(record, expected_prev, expected_seq):
    if record.seq != expected_seq:
        kind = "missing" if record.seq > expected_seq else "out of order"
        return f"expected seq {expected_seq}; records are {kind}"
    if record.prev_hash != expected_prev:
        return "does not link to the previous record (inserted or reordered)"
    if chain_hash(record.prev_hash, record.content) != record.record_hash:
        return "content does not match its hash (altered)"
    content = record.content
    for column in INDEXED:
        if content.get(column) != getattr(record, column):
            return f"column {column} differs from the hashed content (altered)"
    return ""
