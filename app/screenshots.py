"""Photograph a site's banner after each change, in a background thread, when Chromium is there.

publish_site notes the sites it saved in the session; once that session commits, one thread per
commit captures their current builds with a session of its own. A failure, or no Chromium, is a
logged warning: a save or a consent never waits for it or fails because of it. Several gunicorn
workers may photograph one build at once; the unique key stores it once.
"""
import logging
import threading

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.evidence.capture import CaptureFailed, ChromiumMissing, find_chromium
from app.evidence.snapshot import snapshot_site
from app.extensions import db
from app.publishing import PUBLISHED_SITES

log = logging.getLogger(__name__)
#: One capture at a time per process: Chromium is heavy and a build needs photographing once.
_capturing = threading.Lock()
_threads = []


def init_app(_app):
    """Listen for commits of sessions that published sites (once per process: Session is global)."""
    for name, listener in (("after_commit", _after_commit), ("after_rollback", _after_rollback)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def chromium_for(app):
    """Return the app's Chromium path; raise ChromiumMissing naming CONSENT_CHROMIUM."""
    return find_chromium(app.config["CHROMIUM"])


def _after_commit(session):
    site_ids = session.info.pop(PUBLISHED_SITES, None)
    if site_ids and has_app_context():
        schedule(current_app._get_current_object(), sorted(site_ids))


def _after_rollback(session):
    session.info.pop(PUBLISHED_SITES, None)


def schedule(app, site_ids):
    """Start photographing the sites' banners when CONSENT_SCREENSHOTS is auto; return the thread."""
    if app.config["SCREENSHOTS"] != "auto":
        return None
    try:
        chromium = chromium_for(app)
    except ChromiumMissing as error:
        log.warning("banner screenshots: %s", error)
        return None
    # Not a daemon: `flask sites import` waits for its screenshots before the process ends.
    thread = threading.Thread(target=_capture, args=(app, chromium, list(site_ids)),
                              name="banner-screenshots")
    _threads.append(thread)
    thread.start()
    return thread


def wait_for_captures(timeout=120):
    """Wait for the captures this process started (tests, and commands that end soon)."""
    while _threads:
        _threads.pop().join(timeout)


def _capture(app, chromium, site_ids):
    with _capturing, app.app_context():
        for site_id in site_ids:
            try:
                outcome = snapshot_site(db.session, site_id, chromium)
                db.session.commit()
                log.info("banner screenshots: %s build %s: %d stored, %d already there",
                         site_id, outcome.build, outcome.stored, outcome.skipped)
            except (ChromiumMissing, CaptureFailed, LookupError) as error:
                db.session.rollback()
                log.warning("banner screenshots: %s: %s", site_id, error)
            except Exception:  # a database outage must not end the process's other work
                db.session.rollback()
                log.exception("banner screenshots: %s: the capture failed", site_id)
