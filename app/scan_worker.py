"""Run the console's scan jobs outside the request: a worker thread per process, or a command.

A console request only queues a job (app.scanner.jobs) and wakes this process's worker thread,
which claims queued jobs from the shared database one at a time until none is left. With
CONSENT_SCAN_WORKER=off no thread runs; `flask sites scan-worker` claims them instead. Claims
are atomic, so any number of threads and commands on any number of nodes may share one database.
"""
import logging
import threading

from app.evidence.capture import ChromiumMissing, find_chromium
from app.extensions import db
from app.scanner import jobs
from app.scanner.crawl import CrawlOptions, ScanFailed, crawl
from app.scanner.service import NothingScanned, scan_site

log = logging.getLogger(__name__)
#: app.extensions key of a function that sees every request of a scan first and returns True
#: when it answered it (the tests answer trackers with stubs; a staging setup can map hosts).
INTERCEPT = "scanner.intercept"
#: app.extensions key of a stand-in for app.scanner.crawl.crawl (tests without a browser).
CRAWLER = "scanner.crawler"
_lock = threading.Lock()
_threads = {}
#: Per app: a wake came since its worker last looked for queued jobs (read and set under _lock).
_wanted = {}


def scanner_missing(app):
    """Return why this process cannot scan (no Playwright, no Chromium), or None."""
    if CRAWLER in app.extensions:
        return None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return ("the playwright package is not installed; install the scanner with: "
                "pip install 'consent-gate[scanner]'")
    try:
        find_chromium(app.config["CHROMIUM"], "nothing can be scanned")
    except ChromiumMissing as error:
        return str(error)
    return None


def wake(app):
    """Start this process's worker thread unless it runs or CONSENT_SCAN_WORKER is off."""
    if app.config["SCAN_WORKER"] != "thread":
        return None
    key = id(app)
    with _lock:
        # A running worker looks for queued jobs once more before it ends, since it decides to
        # end under the same lock: no job queued before this wake is left waiting.
        _wanted[key] = True
        thread = _threads.get(key)
        if thread is not None and thread.is_alive():
            return thread
        thread = threading.Thread(target=_drain, args=(app,), name="scan-worker", daemon=True)
        _threads[key] = thread
        thread.start()
        return thread


def wait_for_worker(app, timeout=120):
    """Wait for this process's worker thread to run out of jobs (tests)."""
    thread = _threads.get(id(app))
    if thread is not None:
        thread.join(timeout)


def _drain(app):
    key = id(app)
    with app.app_context():
        while True:
            with _lock:
                if not _wanted.get(key):
                    _threads.pop(key, None)
                    return
                _wanted[key] = False
            for job_id, status in run_queued(app):
                log.info("scan job #%d: %s", job_id, status)


def run_queued(app):
    """Claim and run queued jobs until none is left; yield (job id, final status) of each."""
    worker = jobs.worker_name()
    while True:
        job = jobs.claim_next(db.session, worker)
        if job is None:
            return
        yield job.id, run_job(app, job, worker)


def run_job(app, job, worker):
    """Crawl a claimed job's site, store the scan and mark the job; return its final status."""
    options = jobs.job_options(job)
    job_id, site_id = job.id, job.site_id
    try:
        crawler = app.extensions.get(CRAWLER, crawl)
        chromium = "" if crawler is not crawl else find_chromium(app.config["CHROMIUM"],
                                                                 "nothing was scanned")
        crawl_options = CrawlOptions(options.start_urls, chromium, pages=options.pages,
                                     ignore_robots=options.ignore_robots,
                                     intercept=app.extensions.get(INTERCEPT),
                                     on_page=_progress(app, job_id, worker))
        _document, row = scan_site(db.session, site_id, crawl_options, crawler)
        jobs.finish(db.session, job_id, worker, row.id, row.pages)
        db.session.commit()
        return jobs.DONE
    except (ChromiumMissing, ScanFailed, NothingScanned) as error:
        return _failed(job_id, worker, str(error))
    except Exception as error:  # noqa: BLE001  a job must end failed, never stay running
        log.exception("scan job #%d failed", job_id)
        return _failed(job_id, worker, f"the scan stopped with an error: {type(error).__name__}")


def _failed(job_id, worker, error):
    db.session.rollback()
    jobs.fail(db.session, job_id, worker, error)
    db.session.commit()
    return jobs.FAILED


def _progress(app, job_id, worker):
    # The crawl runs in a thread of its own: the heartbeat takes a session of its own too.
    def on_page(pages_done):
        with app.app_context():
            jobs.heartbeat(db.session, job_id, worker, pages_done)
            db.session.commit()

    return on_page
