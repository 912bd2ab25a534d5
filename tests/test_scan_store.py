"""Stored scans on SQLite and PostgreSQL, and the scan command's refusals (no browser)."""
from datetime import UTC, datetime, timedelta

import jsonschema
import pytest

from app.extensions import db
from app.scanner.compare import compare
from app.scanner.observations import Crawl, PassResult, Seen
from app.scanner.report import load_schema, scan_document
from app.scanner.store import list_scans, save_scan, scan_document_of
from app.sites.catalog import catalog_from_document
from app.sites.repository import SiteRepository

PAGE = "https://familami.com/"


def familami_document(started_at, leak=False):
    """Return a scan document of familami with one undeclared cookie, or a leaking one."""
    seen = Seen("cookie", "_ym_uid", PAGE, "none" if leak else "accept", domain=".familami.com",
                path="/", lifetime=365 * 86400, set_by="https://mc.yandex.ru/metrika/tag.js",
                set_by_kind="script")
    crawl = Crawl(started_at, started_at + timedelta(seconds=9), pages=[PAGE],
                  passes=[PassResult(PAGE, seen.pass_name, True, [seen])])
    repository = SiteRepository(db.session)
    site = repository.get("familami")
    catalog = catalog_from_document(repository.catalog(site.id, site.catalog_version).content)
    return scan_document("familami", "b" * 16, site.catalog_version, crawl, compare(crawl, catalog))


def test_scans_are_kept_per_site_newest_first(app, samples):
    first = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    for moment, leak in ((first, False), (first + timedelta(days=1), True)):
        save_scan(db.session, familami_document(moment, leak))
    db.session.commit()
    scans = list_scans(db.session, "familami")
    assert [(scan.started_at.replace(tzinfo=UTC), scan.leaks, scan.undeclared, scan.failed)
            for scan in scans] == [(first + timedelta(days=1), 1, 1, True), (first, 0, 1, True)]
    assert scans[0].build == "b" * 16 and scans[0].pages == 1
    assert list_scans(db.session, "flomni") == []
    document = scan_document_of(db.session, scans[0].id)
    jsonschema.validate(document, load_schema())
    assert document["findings"][0]["code"] == "leak"
    assert scan_document_of(db.session, scans[0].id + 100) is None


@pytest.mark.parametrize(("args", "exit_code", "message"), [
    (["nosuch"], 1, "no site with id 'nosuch'"),
    (["familami", "--url", "ftp://familami.com/"], 2, "--url"),
    (["familami", "--url", "https://familami.com:x/"], 2, "--url"),
    (["familami", "--pages", "0"], 2, "--pages"),
])
def test_scan_refuses_bad_input_naming_it(runner, samples, args, exit_code, message):
    result = runner.invoke(args=["sites", "scan", *args])
    assert result.exit_code == exit_code
    assert message in result.output
    assert "Traceback" not in result.output


def test_scan_without_chromium_names_the_setting(app, runner, samples):
    app.config["CHROMIUM"] = "/nonexistent/chromium"
    result = runner.invoke(args=["sites", "scan", "familami"])
    assert result.exit_code == 1
    assert "CONSENT_CHROMIUM='/nonexistent/chromium' is not an executable file; nothing was scanned" in (
        result.output)
    assert list_scans(db.session, "familami") == []


def test_no_scans_yet(runner, samples):
    result = runner.invoke(args=["sites", "scans", "familami"])
    assert result.exit_code == 0
    assert "no scans of familami yet" in result.output
