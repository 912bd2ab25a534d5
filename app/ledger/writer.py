"""Append records through the group committer and sign each chain when it is due (no Flask).

One writer per app: the committer keeps the chain linear and one commit per batch, and the
checkpoint policy decides, record by record, when a chain gets its signed checkpoint, inside
the batch's own transaction.
"""
import logging

from sqlalchemy.orm import Session

from app.ledger.checkpointing import sign_when_due
from app.ledger.checkpoints import SigningKeyError
from app.ledger.repository import LedgerRepository

log = logging.getLogger(__name__)


class LedgerWriter:
    """Append consent records and sign checkpoints when due.

    signing_key() returns the private key, or raises SigningKeyError when there is none (the
    records are still chained and committed; only the periodic signature is missing).
    """

    def __init__(self, committer, policy, signing_key):
        self.committer, self.policy, self.signing_key = committer, policy, signing_key

    def bound(self, session):
        """Return this writer appending through one session's engine (a request's)."""
        return BoundWriter(self, session)

    def checkpoint_when_due(self, connection, site_id, appended):
        """Sign the site's head inside the batch's transaction when the policy says so."""
        if not self.policy.due(site_id, appended.record.seq,
                               lambda: _last_signed_at(connection, site_id)):
            return
        # A session inside the batch's transaction: it flushes there and commits nothing itself.
        with Session(bind=connection) as session:
            try:
                sign_when_due(LedgerRepository(session), self.policy, site_id,
                              appended.record.seq, self.signing_key())
            except SigningKeyError as error:
                log.warning("checkpoint skipped: %s", error)


class BoundWriter:
    """A LedgerWriter for one session: what record_consent appends through."""

    def __init__(self, writer, session):
        self.writer, self.session = writer, session

    def append(self, site_id, event_id, content, site_stamp):
        """Store a record durably; return its Appended (see GroupCommitter.append)."""
        return self.writer.committer.append(self.session, site_id, event_id, content,
                                            self.writer.checkpoint_when_due, site_stamp)


def _last_signed_at(connection, site_id):
    with Session(bind=connection) as session:
        return LedgerRepository(session).last_signed_at(site_id)
