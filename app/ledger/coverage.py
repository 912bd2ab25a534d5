"""Whether every record was covered by a signed checkpoint in time (no Flask inside).

Checkpoints come at least every CONSENT_CHECKPOINT_INTERVAL while a chain moves, so a record
that waited much longer for its first checkpoint, or still waits for one, means a checkpoint
was removed (and the records after the one before it may have been rewritten), or that the
service was down. Verification reports it as a warning naming the record: the database alone
cannot tell the two apart, a kept checkpoint digest (--anchor) or a time-stamp can.
"""
from datetime import UTC, datetime

from sqlalchemy import select

from app.ledger.tables import ConsentRecord

_BATCH = 500


def coverage_gap(session, site_id, checkpoints, head_seq, due_within, now):
    """Return a warning naming the first record whose first covering checkpoint came more than
    due_within (a timedelta) after it, or that is still uncovered after that long; or "".

    The oldest record a checkpoint newly covers is the one right after the checkpoint before
    it; records are read by seq in batches. A checkpoint's time is the one its signature covers
    (never the stored token time, a column anyone with database access can change; the token
    itself is checked against that signed time by check_tokens).
    """
    runs, covered_to = [], 0
    for checkpoint in sorted(checkpoints, key=lambda c: (c.seq, c.id or 0)):
        if checkpoint.kind == "anchor":
            covered_to = max(covered_to, checkpoint.seq)
        elif checkpoint.seq > covered_to:
            runs.append((covered_to + 1, _signed_at(checkpoint)))
            covered_to = checkpoint.seq
    if head_seq > covered_to:
        runs.append((covered_to + 1, None))
    times = _times(session, site_id, [seq for seq, _at in runs])
    for seq, signed_at in runs:
        record_time = times.get(seq)
        if record_time is None:
            continue  # purged, or checked as missing by the chain itself
        if signed_at is None and now - record_time > due_within:
            return (f"record seq {seq} of {record_time.isoformat()} is not covered by a signed "
                    f"checkpoint, though one was due within {due_within}: a checkpoint was "
                    "removed, or no ledger ticker runs (flask ledger checkpoint signs it)")
        if signed_at is not None and signed_at - record_time > due_within:
            return (f"record seq {seq} of {record_time.isoformat()} was first covered by the "
                    f"checkpoint of {signed_at.isoformat()}, later than due ({due_within}): a "
                    "checkpoint was removed, or the service was down")
    return ""


def _signed_at(checkpoint):
    return datetime.fromisoformat(checkpoint.created_at)


def _times(session, site_id, seqs):
    times = {}
    for start in range(0, len(seqs), _BATCH):
        chunk = seqs[start:start + _BATCH]
        for seq, moment in session.execute(
                select(ConsentRecord.seq, ConsentRecord.server_time)
                .where(ConsentRecord.site_id == site_id, ConsentRecord.seq.in_(chunk))):
            times[seq] = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return times
