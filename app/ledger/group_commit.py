"""Group commit: reports arriving together share one transaction, so one commit (one fsync).

A durable commit costs a disk flush, and appends for a site must wait for each other anyway to
keep the chain linear. So the first thread to arrive leads: it appends every report queued so
far in one transaction of its own session and commits once; threads that arrive meanwhile wait
and are answered from that commit. When the leader's batch is done it hands the lead to the
oldest waiting thread, so no request keeps serving others for ever. Nobody is answered before
the commit that stores their record has returned.
"""
import threading
from dataclasses import dataclass, field

from app.ledger.repository import EventConflict, LedgerRepository


@dataclass(eq=False)
class _Pending:
    site_id: str
    event_id: str
    content: dict
    ready: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    appended: object = None
    error: BaseException | None = None

    def outcome(self):
        if self.error is not None:
            raise self.error
        return self.appended


class GroupCommitter:
    """Append records for many threads of one process, one commit per batch."""

    def __init__(self, write_lock, max_batch=64):
        self._write_lock = write_lock
        self._max_batch = max_batch
        self._mutex = threading.Lock()
        self._queue = []
        self._leading = False

    def append(self, session, site_id, event_id, content, after_append=None):
        """Store a record and return its Appended once committed; raise EventConflict or the
        database's error when it could not be stored.

        session is the calling thread's own; it commits when this thread leads a batch.
        after_append(ledger, site_id, appended) runs inside the batch's transaction for each new
        record.
        """
        item = _Pending(site_id, event_id, content)
        with self._mutex:
            self._queue.append(item)
            lead, self._leading = not self._leading, True
        if not lead:
            item.ready.wait()
            if not item.lead:
                return item.outcome()
        self._lead(session, after_append)
        return item.outcome()

    def _lead(self, session, after_append):
        with self._mutex:
            batch = self._queue[:self._max_batch]
            del self._queue[:self._max_batch]
        try:
            self._write(session, batch, after_append)
        finally:
            with self._mutex:
                if self._queue:
                    successor = self._queue[0]
                    successor.lead = True
                    successor.ready.set()
                else:
                    self._leading = False
            for item in batch:
                if not item.lead:
                    item.ready.set()

    def _write(self, session, batch, after_append):
        ledger = LedgerRepository(session)
        try:
            with self._write_lock(session):
                # Heads are locked in site order, so batches of two processes cannot deadlock;
                # checkpoints are signed after every head of the batch is held, for the same reason.
                for item in sorted(batch, key=lambda pending: pending.site_id):
                    try:
                        item.appended = ledger.append(item.site_id, item.event_id, item.content)
                    except EventConflict as conflict:
                        item.error = conflict
                for item in batch:
                    if after_append and item.appended and item.appended.created:
                        after_append(ledger, item.site_id, item.appended)
                session.commit()
        except Exception as error:
            session.rollback()
            for item in batch:
                item.appended, item.error = None, item.error or error
            raise
