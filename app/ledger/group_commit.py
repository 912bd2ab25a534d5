"""Group commit: reports arriving together share one transaction, so one commit (one fsync).

A durable commit costs a disk flush, and appends for a site must wait for each other anyway to
keep the chain linear. So the first thread to arrive leads: once it holds the write lock (on
SQLite a lock file shared with the other processes) it takes every report queued so far,
appends them in one transaction and commits once; reports that queued while another process
held the lock join that batch. Threads that arrive meanwhile wait and are answered from that
commit. When the leader's batch is done it hands the lead to the oldest waiting thread, so no
request keeps serving others for ever. Nobody is answered before the commit that stores their
record has returned.

Batches are written over one connection the committer keeps for its process, outside any
request's session: a report costs no pool checkout, session or reset of its own.
"""
import threading
import weakref
from dataclasses import dataclass, field

from app.ledger.append import Appended, AppendRequest, EventSeen, append_records


class BatchInterrupted(Exception):
    """The batch holding a report stopped before its commit (its leading thread was interrupted);
    nothing of the batch was stored."""


@dataclass(eq=False)
class _Pending:
    request: AppendRequest
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
        self._connection = None  # used by the leading thread only

    def append(self, session, site_id, event_id, content, after_append=None, site_stamp=None):
        """Store a record and return its Appended once committed; raise EventConflict,
        SiteChanged (the site's row no longer has site_stamp), SubjectNotProven (a known subject
        without its secret) or the database's error when it could not be stored.

        session is the calling thread's own; its engine gives the committer's connection.
        after_append(connection, site_id, appended) runs inside the batch's transaction for each
        new record.
        """
        item = _Pending(AppendRequest(site_id, event_id, content, site_stamp))
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
        batch = []
        try:
            connection = self._connection or self._connect(session.get_bind())
            with self._write_lock(connection):
                # Taken once the lock is held: reports queued while another process held it
                # join this batch instead of waiting for a commit of their own.
                batch = self._take()
                outcomes = self._write(connection, batch, after_append)
        except BaseException as error:
            # The next batch starts on a fresh connection, whatever state this one was left in.
            if self._connection is not None:
                self._connection.invalidate()
                self._connection = None
            # An interruption (SystemExit, KeyboardInterrupt) is the leader's own to raise;
            # the threads waiting on the batch learn only that it did not commit.
            failure = error if isinstance(error, Exception) else BatchInterrupted()
            # Failing before the batch was taken (no connection, no lock) fails what is queued.
            batch = batch or self._take()
            for item in batch:
                item.appended, item.error = None, failure
            raise
        else:
            for item, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, Exception):
                    item.error = outcome
                else:
                    item.appended = outcome
        finally:
            self._hand_over(batch)

    def _take(self):
        with self._mutex:
            batch = self._queue[:self._max_batch]
            del self._queue[:self._max_batch]
        return batch

    def _hand_over(self, batch):
        """Wake the batch's threads, and the oldest waiting one to lead the next batch."""
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

    def _connect(self, engine):
        self._connection = engine.connect()
        # Closed with the committer (or at exit), whether or not the engine was disposed first.
        weakref.finalize(self, self._connection.invalidate)
        return self._connection

    def _write(self, connection, batch, after_append):
        requests = [item.request for item in batch]
        try:
            return self._commit(connection, requests, after_append, lookup=False)
        except EventSeen:  # a retried report: read what is stored, then append
            return self._commit(connection, requests, after_append, lookup=True)

    @staticmethod
    def _commit(connection, requests, after_append, lookup):
        with connection.begin():
            outcomes = append_records(connection, requests, lookup)
            # Checkpoints are signed after every head of the batch is held, so two processes'
            # batches cannot deadlock.
            for request, outcome in zip(requests, outcomes, strict=True):
                if after_append and isinstance(outcome, Appended) and outcome.created:
                    after_append(connection, request.site_id, outcome)
        return outcomes
