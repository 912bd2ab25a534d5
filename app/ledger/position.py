"""Where one record sits in its chain, and whether a signed checkpoint vouches for it."""
from dataclasses import dataclass

from sqlalchemy import select, text

from app.ledger.checkpoints import signature_holds, stored_payload
from app.ledger.proof import chain_hash
from app.ledger.record_checks import CHAIN_COLUMNS, differing_column
from app.ledger.tables import Checkpoint, ConsentRecord


@dataclass(frozen=True)
class Position:
    """A record's own hash, its links both ways, and the first checkpoint at or after it."""

    hash_ok: bool
    #: The first column that repeats a value of the hashed content but differs from it, or None.
    differing_column: str | None
    #: None when the previous record was purged or this is the first.
    previous_links: bool | None
    #: None when no record follows yet.
    next_links: bool | None
    checkpoint: Checkpoint | None = None
    #: The records from this one up to the checkpoint link and end at its signed hash.
    checkpoint_chain_ok: bool | None = None
    checkpoint_signature_ok: bool | None = None

    @property
    def ok(self):
        """Tell whether nothing checked here is broken."""
        return (self.hash_ok and self.differing_column is None
                and False not in (self.previous_links, self.next_links, self.checkpoint_chain_ok,
                                  self.checkpoint_signature_ok))


def record_position(session, record, public_key=None):
    """Check one record against its neighbours and the next signed checkpoint."""
    def at(seq):
        return session.scalar(select(ConsentRecord).filter_by(site_id=record.site_id, seq=seq))

    previous, following = at(record.seq - 1), at(record.seq + 1)
    checkpoint = session.scalar(select(Checkpoint).where(
        Checkpoint.site_id == record.site_id, Checkpoint.seq >= record.seq,
        Checkpoint.kind == "checkpoint").order_by(Checkpoint.seq, Checkpoint.id).limit(1))
    chain_ok = signature_ok = None
    if checkpoint is not None:
        chain_ok = _segment_reaches(session, record, checkpoint)
        if public_key is not None:
            signature_ok = signature_holds(public_key, stored_payload(checkpoint),
                                           checkpoint.signature)
    return Position(
        hash_ok=chain_hash(record.prev_hash, record.content) == record.record_hash,
        differing_column=differing_column(_stored_row(session, record), record.site_id,
                                          record.content),
        previous_links=None if previous is None else previous.record_hash == record.prev_hash,
        next_links=None if following is None else following.prev_hash == record.record_hash,
        checkpoint=checkpoint, checkpoint_chain_ok=chain_ok, checkpoint_signature_ok=signature_ok)


def _stored_row(session, record):
    """Return the record's columns as stored (server_time raw, as verify reads it)."""
    columns = ", ".join(CHAIN_COLUMNS).replace("content", "NULL")
    return tuple(session.execute(text(f"SELECT {columns} FROM consent_records WHERE id = :id"),
                                 {"id": record.id}).one())


def _segment_reaches(session, record, checkpoint):
    # At most CHECKPOINT_EVERY records lie between a record and the next checkpoint.
    rows = session.execute(select(ConsentRecord.seq, ConsentRecord.prev_hash,
                                  ConsentRecord.record_hash, ConsentRecord.content).where(
        ConsentRecord.site_id == record.site_id, ConsentRecord.seq >= record.seq,
        ConsentRecord.seq <= checkpoint.seq).order_by(ConsentRecord.seq))
    expected_seq, expected_prev = record.seq, record.prev_hash
    for seq, prev_hash, record_hash, content in rows:
        if seq != expected_seq or prev_hash != expected_prev or \
                chain_hash(prev_hash, content) != record_hash:
            return False
        expected_seq, expected_prev = seq + 1, record_hash
    return expected_seq == checkpoint.seq + 1 and expected_prev == checkpoint.head_hash
