"""Scans in the console with a stand-in crawler: start at once, progress, result, adopt, compare."""
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import AuditEntry
from app.extensions import db
from app.scan_worker import CRAWLER, wait_for_worker, wake
from app.scanner import jobs
from app.scanner.observations import Crawl, PassResult, Seen
from app.scanner.store import list_scans, scan_document_of
from app.scanner.tables import ScanJob
from app.sites.repository import SiteRepository
from app.tables import utc_now
from tests.conftest import PASSWORD, login

PAGE = "https://www.testshop.test/"


class FakeCrawler:
    """Stands in for crawl.crawl: reports its pages, waits for the test, returns what it is told."""

    def __init__(self, seen=(), error=None):
        self.release, self.started, self.calls = threading.Event(), threading.Event(), []
        self.seen, self.error = list(seen), error
        self.release.set()

    def __call__(self, options):
        self.calls.append(options)
        self.started.set()
        assert self.release.wait(30)
        if self.error:
            raise self.error
        now = utc_now()
        for done in range(1, 3):
            options.on_page(done)
        return Crawl(now, now + timedelta(seconds=2), pages=[PAGE, PAGE + "shop"],
                     passes=[PassResult(PAGE, item.pass_name, True, [item]) for item in self.seen])


def cookie(name, pass_name="accept", lifetime=86400):
    """Return a first-party cookie seen in one pass."""
    return Seen("cookie", name, PAGE, pass_name, domain="www.testshop.test", path="/",
                lifetime=lifetime, set_by=PAGE + "app.js", set_by_kind="script")


@pytest.fixture
def crawler(app):
    """Install a FakeCrawler; wait for the worker thread after the test."""
    def install(*seen, error=None):
        fake = FakeCrawler(seen, error)
        app.extensions[CRAWLER] = fake
        return fake

    yield install
    wait_for_worker(app)
    app.extensions.pop(CRAWLER, None)


def start(client, **data):
    return client.post("/console/sites/testshop/scans", data={"pages": "5", **data})


def finished(app, client, job_url):
    wait_for_worker(app)
    return client.get(job_url)


def test_starting_a_scan_answers_before_the_crawl_and_audits(app, owner, crawler):
    fake = crawler(cookie("promo_seen"))
    fake.release.clear()  # the crawl waits until the test has its answer
    response = start(owner)
    assert response.status_code == 302
    job_url = response.headers["Location"]
    assert fake.started.wait(10)
    page = owner.get(job_url).get_data(as_text=True)
    assert 'data-status="running"' in page and 'http-equiv="refresh"' in page
    status = owner.get(job_url + ".json").json
    assert status["status"] == "running" and status["pages_total"] == 5
    fake.release.set()
    result = finished(app, owner, job_url).get_data(as_text=True)
    assert 'data-status="done"' in result and 'http-equiv="refresh"' not in result
    status = owner.get(job_url + ".json").json
    assert f'href="/console/sites/testshop/scans/{status["scan_id"]}"' in result
    assert status["status"] == "done" and status["pages_done"] == 2 and status["scan_id"]
    assert "https://www.testshop.test/" in fake.calls[0].start_urls and fake.calls[0].pages == 5
    entry = db.session.scalar(select(AuditEntry).filter_by(action="site.scan.start"))
    assert entry.actor == "owner-testshop@example.com" and entry.target == "testshop"


def test_a_second_scan_waits_for_the_first(app, owner, crawler):
    fake = crawler()
    fake.release.clear()
    assert start(owner).status_code == 302
    refused = start(owner)
    assert refused.status_code == 409
    assert "already queued or running" in refused.get_data(as_text=True)
    fake.release.set()


def test_a_crawl_error_is_stored_and_shown(app, owner, crawler):
    from app.scanner.crawl import ScanFailed

    crawler(error=ScanFailed("Chromium failed: net::ERR_NAME_NOT_RESOLVED"))
    job_url = start(owner).headers["Location"]
    page = finished(app, owner, job_url)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'data-status="failed"' in text and "ERR_NAME_NOT_RESOLVED" in text
    assert owner.get(job_url + ".json").json["error"].startswith("Chromium failed")
    assert start(owner).status_code == 302  # the site is free again


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"pages": "0"}, "pages", "between 1 and 100"),
    ({"pages": "x"}, "pages", "Not a valid integer"),
    ({"url": "ftp://www.testshop.test/"}, "url", "http(s) URL"),
    ({"url": "https://evil.example/"}, "url", "origins: https://testshop.test, https://www.testshop.test"),
])
def test_bad_input_is_refused_naming_the_field(app, owner, crawler, data, field, message):
    crawler()
    response = start(owner, **data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    as_json = owner.post("/console/sites/testshop/scans", data={"pages": "5", **data},
                         headers={"Accept": "application/json"})
    assert as_json.status_code == 422 and as_json.json["error"]["field"] == field


def test_without_playwright_or_chromium_the_console_says_so(app, owner):
    app.config["CHROMIUM"] = "/nonexistent/chromium"
    page = owner.get("/console/sites/testshop/scans").get_data(as_text=True)
    assert 'id="scanner-missing"' in page and "/nonexistent/chromium" in page
    response = start(owner)
    assert response.status_code == 503
    assert list_scans(db.session, "testshop") == []
    assert owner.get("/console/sites/testshop/scans").get_data(as_text=True).count("data-job=") == 0


def run_scan(app, client, *seen):
    app.extensions[CRAWLER] = FakeCrawler(seen)
    job_url = start(client).headers["Location"]
    scan_id = finished(app, client, job_url + ".json").json["scan_id"]
    return f"/console/sites/testshop/scans/{scan_id}"


def test_adding_suggestions_publishes_a_catalog_version(app, owner, crawler):
    crawler()
    result_url = run_scan(app, owner, cookie("promo_seen"), cookie("_gcl_au", lifetime=90 * 86400))
    page = owner.get(result_url).get_data(as_text=True)
    assert page.count('class="add-suggestion"') == 2
    document = scan_document_of(db.session, int(result_url.rsplit("/", 1)[1]))
    index = {f["name"]: i for i, f in enumerate(document["findings"]) if f["code"] == "undeclared"}
    before = SiteRepository(db.session).get("testshop").catalog_version
    # A key no vendor documents needs the owner's purpose; a known one comes with its own.
    refused = owner.post(result_url + "/add", data={"finding": str(index["promo_seen"])})
    assert refused.status_code == 422 and "purpose-" in refused.get_data(as_text=True)
    response = owner.post(result_url + "/add", data={
        "selected": [str(index["promo_seen"]), str(index["_gcl_au"])],
        f"purpose-{index['promo_seen']}": "Remembers the promotion you closed"})
    assert response.status_code == 302
    site = SiteRepository(db.session).get("testshop")
    assert site.catalog_version == before + 1
    catalog = SiteRepository(db.session).catalog("testshop", site.catalog_version).content
    assert any(item["name"] == "promo_seen" for item in catalog["functional"])
    assert any(item["name"] == "_gcl_" and item["match"] == "prefix"
               for item in catalog["marketing"])
    entry = db.session.scalar(select(AuditEntry).filter_by(action="catalog.scan_suggestion"))
    assert entry.details["items"] == ["promo_seen", "_gcl_"]
    # Now declared: nothing left to add, and a second click is refused, not published twice.
    assert 'class="add-suggestion"' not in owner.get(result_url).get_data(as_text=True)
    again = owner.post(result_url + "/add", data={"finding": str(index["_gcl_au"])})
    assert again.status_code == 422
    assert SiteRepository(db.session).get("testshop").catalog_version == before + 1


@pytest.mark.parametrize("value", ["", "x", "999"])
def test_adding_refuses_a_finding_that_is_not_there(app, owner, crawler, value):
    crawler()
    result_url = run_scan(app, owner, cookie("_gcl_au"))
    response = owner.post(result_url + "/add", data={"finding": value} if value else {})
    assert response.status_code == 422
    assert "finding" in response.get_data(as_text=True)


def test_compare_the_last_two_scans(app, owner, crawler):
    crawler()
    assert "compare-none" in owner.get("/console/sites/testshop/scans/compare").get_data(
        as_text=True)
    run_scan(app, owner, cookie("promo_seen"), cookie("_gcl_au", pass_name="none"))
    run_scan(app, owner, cookie("promo_seen", pass_name="none"), cookie("cart_id"))
    page = owner.get("/console/sites/testshop/scans/compare").get_data(as_text=True)
    assert 'class="new" data-key="cookie cart_id"' in page
    assert 'class="gone" data-key="cookie _gcl_au"' in page
    # Set before any choice now: filed as necessary, so its suggested category changed.
    assert 'class="changed" data-key="cookie promo_seen"' in page
    assert "compare-link" in owner.get("/console/sites/testshop/scans").get_data(as_text=True)


def test_scans_of_another_site_are_not_found(app, owner, crawler, runner, make_user):
    crawler()
    result_url = run_scan(app, owner, cookie("promo_seen"))
    job_id = db.session.scalar(select(AuditEntry).filter_by(action="site.scan.start")).details["job"]
    scan_id = result_url.rsplit("/", 1)[1]
    assert runner.invoke(args=["sites", "import", "sites/flomni.yaml"]).exit_code == 0
    other = app.test_client()
    login(other, make_user("owner", "flomni"))
    assert other.get(result_url).status_code == 403
    assert other.get(f"/console/sites/flomni/scans/{scan_id}").status_code == 404
    assert other.get(f"/console/sites/flomni/scans/jobs/{job_id}.json").status_code == 404
    auditor = app.test_client()
    login(auditor, make_user("auditor"))
    assert auditor.get("/console/sites/testshop/scans").status_code == 403
    assert start(auditor).status_code == 403


def test_scan_forms_need_their_csrf_token(app, owner, crawler, make_user, sibling_app):
    crawler()
    result_url = run_scan(app, owner, cookie("_gcl_au"))
    guarded = sibling_app(WTF_CSRF_ENABLED=True)
    guarded.extensions[CRAWLER] = FakeCrawler()
    client = guarded.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/console/login").get_data(as_text=True)).group(1)
    client.post("/console/login", data={"email": "owner-testshop@example.com",
                                        "password": PASSWORD, "csrf_token": token})
    jobs_before = owner.get("/console/sites/testshop/scans").get_data(as_text=True).count("data-job=")
    assert client.post("/console/sites/testshop/scans", data={"pages": "5"}).status_code == 400
    assert client.post(result_url + "/add", data={"finding": "0"}).status_code == 400
    page = client.get("/console/sites/testshop/scans").get_data(as_text=True)
    assert page.count("data-job=") == jobs_before
    assert 'name="csrf_token"' in page and 'id="scan-start"' in page  # logged in, form shown


def test_a_job_queued_as_the_worker_ends_is_still_run(app, owner, crawler, monkeypatch):
    crawler(cookie("promo_seen"))
    claim, late = jobs.claim_next, []

    def claim_then_queue_late(session, worker, now=None):
        job = claim(session, worker, now)
        if job is None and not late:
            # The race: a request queues and wakes just after the worker found nothing to do.
            finished_job = session.scalars(select(ScanJob)).one()
            late.append(jobs.queue_job(session, "testshop", "late@example.com",
                                       jobs.job_options(finished_job)).id)
            session.commit()
            wake(app)
        return job

    monkeypatch.setattr(jobs, "claim_next", claim_then_queue_late)
    assert start(owner).status_code == 302
    wait_for_worker(app)
    wait_for_worker(app)
    assert [job.status for job in db.session.scalars(select(ScanJob).order_by(ScanJob.id))] == [
        jobs.DONE, jobs.DONE]


def test_a_job_left_queued_starts_when_it_is_watched(app, owner, crawler):
    crawler(cookie("promo_seen"))
    job = jobs.queue_job(db.session, "testshop", "owner-testshop@example.com",
                         jobs.JobOptions((PAGE,), 5))
    db.session.commit()  # queued by a node that stopped before its worker took it
    job_url = f"/console/sites/testshop/scans/jobs/{job.id}"
    assert owner.get(job_url + ".json").json["status"] in ("queued", "running", "done")
    assert finished(app, owner, job_url).status_code == 200
    assert owner.get(job_url + ".json").json["status"] == "done"
