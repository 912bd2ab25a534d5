"""Group commit: reports arriving together share one commit and still form one linear chain."""
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.ledger.append import EventConflict, SiteChanged
from app.ledger.group_commit import GroupCommitter
from app.ledger.locks import write_lock
from app.models import ConsentRecord, utc_now

WAITING = 7


@pytest.fixture
def shop(make_report):
    """The test shop, imported, so records can be chained for it."""
    make_report()
    return "testshop"


def _content(number):
    return {"event_id": f"evt-{number}", "consent_id": f"cns-{number}", "subject_id": "sbj-1",
            "event": "grant", "ui_action": "accept_all", "choices": {"mandatory": True},
            "server_time": utc_now().isoformat()}


class GatedLock:
    """The real write lock, counting batches; hold_first() makes the first batch wait at a gate
    once it is taken, inside its transaction, until the gate is opened."""

    def __init__(self):
        self.batches, self.entered, self.gate = 0, threading.Event(), threading.Event()

    @contextmanager
    def __call__(self, session):
        with write_lock(session):
            self.batches += 1
            yield

    def hold_first(self, after_append=None):
        """Return an after_append hook that holds the batch storing seq 1 at the gate."""
        def hook(connection, site_id, appended):
            if appended.record.seq == 1:
                self.entered.set()
                assert self.gate.wait(10)
            if after_append:
                after_append(connection, site_id, appended)
        return hook


def _append_in_threads(app, committer, site_id, numbers, after_append=None):
    """Start one thread per number; return the threads and what each got: a result or an error."""
    threads, results, errors = [], {}, {}

    def run(number):
        with app.app_context():
            try:
                results[number] = committer.append(db.session, site_id, f"evt-{number}",
                                                   _content(number), after_append)
            except OperationalError as error:
                errors[number] = error
            finally:
                db.session.remove()

    for number in numbers:
        threads.append(threading.Thread(target=run, args=(number,)))
        threads[-1].start()
    return threads, results, errors


def test_reports_that_wait_share_one_commit_and_chain_in_order(app, shop):
    lock = GatedLock()
    committer = GroupCommitter(lock)
    first, first_results, _ = _append_in_threads(app, committer, shop, [0], lock.hold_first())
    assert lock.entered.wait(10)
    others, results, errors = _append_in_threads(app, committer, shop, range(1, WAITING + 1))
    _wait_for(lambda: len(committer._queue) == WAITING)
    lock.gate.set()
    for thread in first + others:
        thread.join(10)
    results.update(first_results)
    assert not errors
    assert lock.batches == 2  # the first report alone, then the seven that queued behind it
    assert sorted(appended.record.seq for appended in results.values()) == list(range(1, 9))
    assert results[0].record.seq == 1
    rows = db.session.scalars(select(ConsentRecord).order_by(ConsentRecord.seq)).all()
    assert [row.prev_hash for row in rows[1:]] == [row.record_hash for row in rows[:-1]]


def test_a_failure_in_a_batch_fails_all_its_reports_and_stores_none_of_them(app, shop):
    def full_disk_at_three(_ledger, _site_id, appended):
        if appended.record.seq == 3:
            raise OperationalError("INSERT", {}, Exception("database or disk is full"))

    lock = GatedLock()
    committer = GroupCommitter(lock)

    first, first_results, _ = _append_in_threads(app, committer, shop, [0],
                                                 lock.hold_first(full_disk_at_three))
    assert lock.entered.wait(10)
    batch, results, errors = _append_in_threads(app, committer, shop, [1, 2, 3],
                                                full_disk_at_three)
    _wait_for(lambda: len(committer._queue) == 3)
    lock.gate.set()
    for thread in first + batch:
        thread.join(10)
    assert first_results[0].record.seq == 1
    assert not results and sorted(errors) == [1, 2, 3]
    assert db.session.scalar(select(func.count()).select_from(ConsentRecord)) == 1


class Interrupted(BaseException):
    """Stands for SystemExit or KeyboardInterrupt in the thread that leads a batch."""


def test_an_interrupted_leader_fails_the_reports_waiting_on_its_batch(app, shop):
    def interrupt_at_two(_connection, _site_id, appended):
        if appended.record.seq == 2:
            raise Interrupted()

    lock = GatedLock()
    committer = GroupCommitter(lock)
    outcomes = {}
    hook = lock.hold_first(interrupt_at_two)

    def run(number):
        with app.app_context():
            try:
                outcomes[number] = committer.append(db.session, shop, f"evt-{number}",
                                                    _content(number), hook)
            except BaseException as error:  # noqa: BLE001 (the interruption is what is tested)
                outcomes[number] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(0,))]
    threads[0].start()
    assert lock.entered.wait(10)
    threads += [threading.Thread(target=run, args=(number,)) for number in (1, 2, 3)]
    for thread in threads[1:]:
        thread.start()
    _wait_for(lambda: len(committer._queue) == 3)
    lock.gate.set()
    for thread in threads:
        thread.join(10)
    assert outcomes[0].record.seq == 1
    kinds = sorted(type(outcomes[number]).__name__ for number in (1, 2, 3))
    assert kinds == ["BatchInterrupted", "BatchInterrupted", "Interrupted"]
    assert db.session.scalar(select(func.count()).select_from(ConsentRecord)) == 1
    # The committer carries on with the next report.
    assert committer.append(db.session, shop, "evt-4", _content(4)).record.seq == 2


def test_a_reused_event_id_fails_alone(app, shop):
    committer = GroupCommitter(write_lock)
    committer.append(db.session, shop, "evt-1", _content(1))
    with pytest.raises(EventConflict):
        committer.append(db.session, shop, "evt-1", {**_content(1), "event": "withdraw"})
    again = committer.append(db.session, shop, "evt-1", _content(1))
    assert again.created is False and again.record.seq == 1


def test_a_report_checked_against_an_older_site_row_is_not_stored(app, shop):
    from app.ledger.snapshots import IntakeCache
    from app.models import Site

    committer, sites = GroupCommitter(write_lock), IntakeCache().reader(db.session)
    checked = sites.site(shop)
    db.session.get(Site, shop).name = "Renamed"
    db.session.commit()
    with pytest.raises(SiteChanged):
        committer.append(db.session, shop, "evt-1", _content(1), site_stamp=checked.stamp)
    assert db.session.scalar(select(func.count()).select_from(ConsentRecord)) == 0
    current = sites.site(shop, refresh=True)
    assert committer.append(db.session, shop, "evt-1", _content(1),
                            site_stamp=current.stamp).created


def _wait_for(condition, seconds=10):
    stop = threading.Event()
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        stop.wait(0.01)
    raise AssertionError("condition not met in time")


def test_reports_queued_while_another_writer_holds_the_lock_join_the_waiting_batch(app, backend,
                                                                                  shop):
    if backend != "sqlite":
        pytest.skip("the write lock is SQLite's; PostgreSQL queues writers on the head row")
    lock = GatedLock()
    committer = GroupCommitter(lock)
    with db.engine.connect() as other_writer, write_lock(other_writer):  # as another process
        threads, results, errors = _append_in_threads(app, committer, shop, range(4))
        _wait_for(lambda: len(committer._queue) == 4)
    for thread in threads:
        thread.join(10)
    assert not errors
    assert lock.batches == 1  # the leader took its batch once it held the lock: all four
    assert sorted(appended.record.seq for appended in results.values()) == [1, 2, 3, 4]


def test_a_lock_that_fails_fails_every_queued_report_and_nobody_hangs(app, shop):
    entered, gate = threading.Event(), threading.Event()

    @contextmanager
    def failing_lock(_connection):
        entered.set()
        assert gate.wait(10)
        raise OperationalError("flock", {}, Exception("disk I/O error"))
        yield  # pragma: no cover

    committer = GroupCommitter(failing_lock)
    first, _results, first_errors = _append_in_threads(app, committer, shop, [0])
    assert entered.wait(10)
    others, results, errors = _append_in_threads(app, committer, shop, [1, 2, 3])
    _wait_for(lambda: len(committer._queue) == 4)
    gate.set()
    for thread in first + others:
        thread.join(10)
        assert not thread.is_alive()
    assert not results and sorted({**first_errors, **errors}) == [0, 1, 2, 3]
