"""Check a chain of records: every hash, every link, no gaps, nothing cut off the end."""
from dataclasses import dataclass

from app.ledger.proof import GENESIS_HASH, chain_hash

#: Columns kept beside the hashed content for searching; they must agree with it.
INDEXED = ("record_id", "consent_id", "subject_id", "event", "seq")


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


def verify_chain(site_id, records, head):
    """Verify records in seq order against the site's head; stop at the first bad record."""
    expected_prev, expected_seq, count = GENESIS_HASH, 1, 0
    for record in records:
        problem = _record_problem(record, expected_prev, expected_seq)
        if problem:
            return Verdict(site_id, count, False, problem)
        expected_prev, expected_seq, count = record.record_hash, record.seq + 1, count + 1
    head_seq, head_hash = (head.seq, head.head_hash) if head else (0, GENESIS_HASH)
    if (head_seq, head_hash) != (count, expected_prev):
        return Verdict(site_id, count, False,
                       f"the chain ends at seq {count} but its head says seq {head_seq}: "
                       "records were removed from the end")
    return Verdict(site_id, count, True)


def _record_problem(record, expected_prev, expected_seq):
    label = f"record seq {record.seq} ({record.record_id})"
    if record.seq != expected_seq:
        kind = "missing" if record.seq > expected_seq else "out of order"
        return f"{label}: expected seq {expected_seq}; records are {kind}"
    if record.prev_hash != expected_prev:
        return f"{label}: does not link to the previous record (inserted or reordered)"
    if chain_hash(record.prev_hash, record.content) != record.record_hash:
        return f"{label}: content does not match its hash (altered)"
    for column in INDEXED:
        if record.content.get(column) != getattr(record, column):
            return f"{label}: column {column} differs from the hashed content (altered)"
    return ""
