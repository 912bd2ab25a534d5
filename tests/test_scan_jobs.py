"""Scan jobs on SQLite and PostgreSQL: queueing, one claim per job, heartbeats, stale workers."""
from datetime import timedelta

import pytest

from app.extensions import db
from app.scanner import jobs
from app.scanner.tables import ScanJob
from app.tables import utc_now

OPTIONS = jobs.JobOptions(("https://familami.com/",), 5)


@pytest.fixture
def queued(app, samples):
    """Factory: queue a job of a site and commit it; return its id."""
    def make(site_id="familami", now=None):
        job = jobs.queue_job(db.session, site_id, "owner@example.com", OPTIONS, now=now)
        db.session.commit()
        return job.id

    return make


def _job(job_id):
    return jobs.job_status(db.session.get(ScanJob, job_id, populate_existing=True))


def test_a_queued_job_is_claimed_once_oldest_first(queued):
    first, second = queued("familami"), queued("flomni")
    claimed = [jobs.claim_next(db.session, worker) for worker in ("a", "b", "c")]
    assert [job.id if job else None for job in claimed] == [first, second, None]
    assert [claimed[0].worker, claimed[1].worker] == ["a", "b"]
    assert _job(first)["status"] == "running" and _job(first)["started_at"]


def test_one_scan_under_way_per_site_until_it_ends(queued):
    job_id = queued()
    with pytest.raises(jobs.ScanUnderWay):
        queued()
    assert queued("flomni")  # another site is not held up
    jobs.claim_next(db.session, "w")
    assert jobs.finish(db.session, job_id, "w", None, 3)
    db.session.commit()
    assert _job(job_id)["status"] == "done" and _job(job_id)["pages_done"] == 3
    assert queued() != job_id


def test_only_the_claiming_worker_reports(queued):
    job_id = queued()
    jobs.claim_next(db.session, "w1")
    assert not jobs.heartbeat(db.session, job_id, "w2", 4)
    assert not jobs.fail(db.session, job_id, "w2", "not mine")
    assert jobs.heartbeat(db.session, job_id, "w1", 2)
    db.session.commit()
    assert _job(job_id)["pages_done"] == 2 and _job(job_id)["status"] == "running"
    assert jobs.fail(db.session, job_id, "w1", "Chromium failed: crashed")
    db.session.commit()
    assert _job(job_id)["status"] == "failed" and _job(job_id)["error"] == "Chromium failed: crashed"
    # A job that ended is no worker's any more.
    assert not jobs.finish(db.session, job_id, "w1", None, 2)


def test_a_silent_worker_reads_as_failed_and_frees_its_site(queued):
    job_id = queued()
    start = utc_now() - jobs.STALE_AFTER - timedelta(minutes=1)
    jobs.claim_next(db.session, "w", now=start)
    job = db.session.get(ScanJob, job_id)
    assert jobs.job_status(job, now=start + timedelta(minutes=1))["status"] == "running"
    status = jobs.job_status(job)
    assert status["status"] == "failed" and "heartbeats" in status["error"]
    # A new request fails the stale job in the database, then queues its own.
    newer = queued()
    assert newer != job_id and _job(job_id)["status"] == "failed"
    # The stale worker, should it come back, cannot overwrite that.
    assert not jobs.finish(db.session, job_id, "w", None, 1)


def test_job_options_round_trip(queued):
    job = db.session.get(ScanJob, queued())
    assert jobs.job_options(job) == OPTIONS
    assert jobs.job_status(job)["pages_total"] == 5
    assert [row.id for row in jobs.site_jobs(db.session, "familami")] == [job.id]


def test_the_worker_command_runs_queued_jobs_once(app, runner, queued):
    from app.scan_worker import CRAWLER
    from tests.test_console_scans import FakeCrawler, cookie

    app.extensions[CRAWLER] = FakeCrawler([cookie("promo_seen")])
    try:
        job_id = queued()
        result = runner.invoke(args=["sites", "scan-worker", "--once"])
    finally:
        app.extensions.pop(CRAWLER)
    assert result.exit_code == 0, result.output
    assert result.output == f"scan job #{job_id}: done\n"
    status = _job(job_id)
    assert status["status"] == "done" and status["scan_id"] and status["pages_done"] == 2
    assert runner.invoke(args=["sites", "scan-worker", "--once"]).output == ""
