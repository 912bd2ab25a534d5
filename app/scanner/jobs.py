"""Scan jobs: queue a scan, let one worker claim it, note its progress and outcome (no Flask).

Every step is one UPDATE guarded by the job's status (and its worker), so two workers on two
nodes sharing the database never run one job, and a worker whose job was given up on cannot
overwrite that. A running job whose worker stopped sending heartbeats is failed, not shown as
running forever.
"""
import json
import os
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.scanner.tables import DONE, FAILED, QUEUED, RUNNING, ScanJob
from app.tables import as_utc, utc_now

#: A running job without a heartbeat for this long is taken as dead (a page takes three visits
#: of at most 30 s each, and a heartbeat follows every page).
STALE_AFTER = timedelta(minutes=5)
STALE_ERROR = "the worker stopped sending heartbeats (its process ended?); start the scan again"


class ScanUnderWay(Exception):
    """The site already has a scan queued or running."""


@dataclass(frozen=True)
class JobOptions:
    """What a job crawls: its start URLs and page limit."""

    start_urls: tuple
    pages: int
    ignore_robots: bool = False


def queue_job(session, site_id, requested_by, options, now=None):
    """Insert a queued job for a site (flushed; the caller commits it); raise ScanUnderWay if
    one is queued or running. Commits the failing of stale jobs first."""
    now = now or utc_now()
    if expire_stale(session, now):
        session.commit()
    job = ScanJob(site_id=site_id, status=QUEUED, active_site=site_id, requested_by=requested_by,
                  requested_at=now, pages_done=0, pages_total=options.pages,
                  options=json.dumps({"start_urls": list(options.start_urls),
                                      "pages": options.pages,
                                      "ignore_robots": options.ignore_robots}))
    session.add(job)
    try:
        session.flush()
    except IntegrityError:  # active_site is unique: another job of the site is under way
        session.rollback()
        raise ScanUnderWay(site_id) from None
    return job


def job_options(job):
    """Return a job's JobOptions."""
    stored = json.loads(job.options)
    return JobOptions(tuple(stored["start_urls"]), stored["pages"],
                      stored.get("ignore_robots", False))


def worker_name():
    """Return this thread's name as a worker: host, process and thread."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def claim_next(session, worker, now=None):
    """Claim the oldest queued job for worker and commit; return it, or None when none waits."""
    now = now or utc_now()
    candidates = session.scalars(select(ScanJob.id).where(ScanJob.status == QUEUED)
                                 .order_by(ScanJob.id).limit(10)).all()
    for job_id in candidates:
        # Only one UPDATE of many racing finds the row still queued.
        claimed = session.execute(
            update(ScanJob).where(ScanJob.id == job_id, ScanJob.status == QUEUED)
            .values(status=RUNNING, worker=worker, started_at=now, heartbeat_at=now)
            .execution_options(synchronize_session=False)).rowcount
        session.commit()
        if claimed == 1:
            return session.get(ScanJob, job_id, populate_existing=True)
    return None


def heartbeat(session, job_id, worker, pages_done, now=None):
    """Note a running job's progress; return False when the job is no longer this worker's."""
    return _update_running(session, job_id, worker, pages_done=pages_done,
                           heartbeat_at=now or utc_now())


def finish(session, job_id, worker, scan_id, pages_done, now=None):
    """Mark a job done with its stored scan; return False when it was no longer this worker's."""
    now = now or utc_now()
    return _update_running(session, job_id, worker, status=DONE, scan_id=scan_id,
                           pages_done=pages_done, finished_at=now, heartbeat_at=now,
                           active_site=None)


def fail(session, job_id, worker, error, now=None):
    """Mark a job failed with its error; return False when it was no longer this worker's."""
    now = now or utc_now()
    return _update_running(session, job_id, worker, status=FAILED, error=error[:2000],
                           finished_at=now, active_site=None)


def _update_running(session, job_id, worker, **values):
    changed = session.execute(
        update(ScanJob).where(ScanJob.id == job_id, ScanJob.status == RUNNING,
                              ScanJob.worker == worker)
        .values(**values).execution_options(synchronize_session=False)).rowcount
    return changed == 1


def expire_stale(session, now=None):
    """Fail the running jobs whose worker has been silent for STALE_AFTER; return how many."""
    now = now or utc_now()
    return session.execute(
        update(ScanJob).where(ScanJob.status == RUNNING, ScanJob.heartbeat_at < now - STALE_AFTER)
        .values(status=FAILED, error=STALE_ERROR, finished_at=now, active_site=None)
        .execution_options(synchronize_session=False)).rowcount


def job_status(job, now=None):
    """Return a job as plain data; a running job with a stale heartbeat reads as failed."""
    now = now or utc_now()
    status, error = job.status, job.error
    if status == RUNNING and job.heartbeat_at and as_utc(job.heartbeat_at) < now - STALE_AFTER:
        status, error = FAILED, STALE_ERROR
    return {"id": job.id, "site_id": job.site_id, "status": status,
            "pages_done": job.pages_done, "pages_total": job.pages_total,
            "requested_by": job.requested_by, "requested_at": _iso(job.requested_at),
            "started_at": _iso(job.started_at), "finished_at": _iso(job.finished_at),
            "error": error, "scan_id": job.scan_id}


def site_jobs(session, site_id, limit=10):
    """Return a site's latest jobs, newest first."""
    return session.scalars(select(ScanJob).where(ScanJob.site_id == site_id)
                           .order_by(ScanJob.id.desc()).limit(limit)).all()


def _iso(moment: datetime | None):
    return as_utc(moment).isoformat() if moment else None
