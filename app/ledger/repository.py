"""Append to and read the ledger; appends for one site are serialized by its head row."""
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.ledger.checkpoints import checkpoint_payload, key_id, sign
from app.ledger.proof import GENESIS_HASH, chain_hash
from app.models import Checkpoint, ConsentRecord, LedgerHead, TextSet, utc_now

#: What verification reads of each record.
CHAIN_COLUMNS = ("seq", "record_id", "event_id", "consent_id", "subject_id", "event", "content",
                 "prev_hash", "record_hash")


#: A retried report must repeat these; anything else reusing its event id is refused.
SAME_EVENT_KEYS = ("consent_id", "subject_id", "event", "ui_action", "choices")


class EventConflict(Exception):
    """An event id already names a different consent event."""


@dataclass(frozen=True)
class Appended:
    """A record and whether this call stored it (False: an earlier retry already had)."""

    record: ConsentRecord
    created: bool


class LedgerRepository:
    """Consent records, text sets and chain heads in one SQLAlchemy session."""

    def __init__(self, session):
        self.session = session

    def _insert(self, model):
        dialect = self.session.get_bind().dialect.name
        return (pg_insert if dialect == "postgresql" else sqlite_insert)(model)

    def store_text_set(self, site_id, language, digest, content):
        """Store a text set once under its digest; later calls change nothing."""
        statement = self._insert(TextSet).values(
            digest=digest, site_id=site_id, language=language, content=content,
            created_at=utc_now()).on_conflict_do_nothing(index_elements=["digest"])
        self.session.execute(statement)

    def text_set(self, digest):
        """Return the text set with this digest, or None."""
        return self.session.get(TextSet, digest)

    def append(self, site_id, event_id, content):
        """Chain content to the site's head and store it; idempotent per event_id.

        The caller commits. Locking the head row first makes concurrent appends for one site
        wait for each other on both databases, so the chain stays linear.
        """
        self.session.execute(self._insert(LedgerHead).values(
            site_id=site_id, seq=0, head_hash=GENESIS_HASH
        ).on_conflict_do_nothing(index_elements=["site_id"]))
        # A real write takes SQLite's write lock (and PostgreSQL's row lock) before the head is read.
        self.session.execute(
            update(LedgerHead).where(LedgerHead.site_id == site_id).values(seq=LedgerHead.seq))
        head = self.session.execute(
            select(LedgerHead).where(LedgerHead.site_id == site_id).with_for_update()
        ).scalar_one()
        existing = self.session.scalar(select(ConsentRecord).filter_by(
            site_id=site_id, event_id=event_id))
        if existing is not None:
            if any(existing.content.get(key) != content.get(key) for key in SAME_EVENT_KEYS):
                raise EventConflict(event_id)
            return Appended(existing, created=False)
        seq = head.seq + 1
        content = {**content, "seq": seq, "record_id": str(uuid.uuid4())}
        record_hash = chain_hash(head.head_hash, content)
        record = ConsentRecord(
            site_id=site_id, seq=seq, record_id=content["record_id"], event_id=event_id,
            consent_id=content["consent_id"], subject_id=content["subject_id"],
            event=content["event"], server_time=datetime.fromisoformat(content["server_time"]),
            content=content, prev_hash=head.head_hash, record_hash=record_hash)
        self.session.add(record)
        head.seq, head.head_hash = seq, record_hash
        self.session.flush()
        return Appended(record, created=True)

    def by_record_id(self, record_id):
        """Return the record with this public id, or None."""
        return self.session.scalar(select(ConsentRecord).filter_by(record_id=record_id))

    def history(self, site_id, subject_id):
        """Return every record of one pseudonymous subject on a site, oldest first."""
        return list(self.session.scalars(select(ConsentRecord).filter_by(
            site_id=site_id, subject_id=subject_id).order_by(ConsentRecord.seq)))

    def head(self, site_id):
        """Return the site's chain head, or None before its first record."""
        return self.session.get(LedgerHead, site_id)

    def iter_chain(self, site_id, batch=5000, up_to=None):
        """Yield a site's records in chain order (up to a seq) without loading them all."""
        # Plain rows, not ORM objects: verification reads millions and changes none.
        columns = [getattr(ConsentRecord, name) for name in CHAIN_COLUMNS]
        statement = select(*columns).filter_by(site_id=site_id)
        if up_to is not None:
            statement = statement.where(ConsentRecord.seq <= up_to)
        statement = statement.order_by(ConsentRecord.seq).execution_options(yield_per=batch)
        result = self.session.execute(statement)
        try:
            yield from result
        finally:
            # A caller that stops early must not leave PostgreSQL's server-side cursor open.
            result.close()

    def add_checkpoint(self, site_id, private_key):
        """Sign the site's current head; return the checkpoint (None before the first record)."""
        head = self.head(site_id)
        if head is None:
            return None
        return self._signed(site_id, head.seq, head.head_hash, private_key, "checkpoint")

    def _signed(self, site_id, seq, head_hash, private_key, kind):
        created_at = utc_now().isoformat()
        checkpoint = Checkpoint(
            site_id=site_id, seq=seq, head_hash=head_hash, created_at=created_at, kind=kind,
            key_id=key_id(private_key.public_key()),
            signature=sign(private_key, checkpoint_payload(site_id, seq, head_hash, created_at, kind)))
        self.session.add(checkpoint)
        self.session.flush()
        return checkpoint

    def purge_before(self, site_id, cutoff, private_key):
        """Delete the oldest records up to the last one older than cutoff, behind a signed anchor.

        Only a prefix of the chain goes, so what remains still links; the anchor records the
        hash the remaining chain continues from. Returns the anchor, or None when nothing is due.
        """
        newer = self.session.scalar(select(func.min(ConsentRecord.seq)).where(
            ConsentRecord.site_id == site_id, ConsentRecord.server_time >= cutoff))
        last = self.session.scalar(select(func.max(ConsentRecord.seq)).where(
            ConsentRecord.site_id == site_id, ConsentRecord.server_time < cutoff,
            *([ConsentRecord.seq < newer] if newer else [])))
        if last is None:
            return None
        boundary = self.session.scalar(select(ConsentRecord).filter_by(site_id=site_id, seq=last))
        anchor = self._signed(site_id, last, boundary.record_hash, private_key, "anchor")
        self.session.execute(delete(ConsentRecord).where(
            ConsentRecord.site_id == site_id, ConsentRecord.seq <= last))
        return anchor

    def checkpoints(self, site_id):
        """Return a site's checkpoints, oldest first."""
        return list(self.session.scalars(select(Checkpoint).filter_by(site_id=site_id)
                                         .order_by(Checkpoint.seq, Checkpoint.id)))

    def site_ids(self):
        """Return the ids of sites that have a ledger."""
        return list(self.session.scalars(select(LedgerHead.site_id).order_by(LedgerHead.site_id)))

