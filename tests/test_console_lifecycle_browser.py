"""The console in Chromium over an account's and a site's life: a password change ends the other
sessions; a deleted site's records stay searchable and exportable, with a manifest that verifies."""
import subprocess
import sys

import pytest
import yaml

from app.accounts.service import create_user
from app.extensions import db
from app.sites.files import parse_site_document
from tests.banner_harness import SERVICE_HOST
from tests.browser import CONSOLE_PASSWORD, CONSOLE_USERS, FIXTURES, console_log_in
from tests.conftest import PROJECT_ROOT
from tests.test_console_browser import _accept_and_wait_for_receipt

pytestmark = pytest.mark.browser
CONSOLE = f"https://{SERVICE_HOST}/console"
NEW_PASSWORD = "a different, longer passphrase"
#: Deleted by its test, so no other test of the shared live server may use it.
DOOMED = "doomedshop"


def _add_user(live_server, email, role):
    with live_server.app.app_context():
        create_user(db.session, email, CONSOLE_PASSWORD, role, (), method="scrypt:1024:8:1")
        db.session.commit()


def test_a_password_change_ends_the_other_session_and_the_old_password(console_context,
                                                                      live_server):
    email = "password-change@consoleshop.example.com"
    _add_user(live_server, email, "auditor")
    here = console_log_in(console_context("198.51.100.7"), email)
    elsewhere = console_log_in(console_context("192.0.2.7"), email)
    here.goto(f"{CONSOLE}/account")
    here.fill("#password-current_password", CONSOLE_PASSWORD)
    here.fill("#password-new_password", NEW_PASSWORD)
    here.fill("#password-new_password_again", NEW_PASSWORD)
    here.click("#password-submit")
    here.wait_for_url(f"{CONSOLE}/account")
    assert "Password changed" in here.inner_text("main")
    # Each tab's next page, from its menu (a redirect the proxy answers is followed after a click,
    # not after a goto).
    elsewhere.click("header a[href='/console/records']")
    elsewhere.wait_for_url(f"{CONSOLE}/login?next=/console/records")
    assert elsewhere.locator("#password").count() == 1
    here.click("header a[href='/console/records']")
    here.wait_for_url(f"{CONSOLE}/records")
    assert here.locator("#site").count() == 1
    fresh = console_context("198.18.0.7")
    refused = fresh.new_page()
    refused.goto(f"{CONSOLE}/login")
    refused.fill("#email", email)
    refused.fill("#password", CONSOLE_PASSWORD)
    refused.click("#submit")
    assert refused.locator("#password-error").inner_text() == "Wrong e-mail or password."
    assert refused.url.startswith(f"{CONSOLE}/login")
    accepted = console_log_in(fresh, email, NEW_PASSWORD)
    assert accepted.url == f"{CONSOLE}/"


def _doomed_spec():
    document = yaml.safe_load((FIXTURES / "testshop.yaml").read_text(encoding="utf-8"))
    document.update(id=DOOMED, name="Doomed Shop", origins=[f"https://www.{DOOMED}.test"])
    return parse_site_document(document, DOOMED)


def _download(console, selector, folder):
    """Click a download link of the page; return the path of the file saved in folder."""
    with console.expect_download() as event:
        console.click(selector)
    download = event.value
    path = folder / download.suggested_filename
    download.save_as(path)
    return path


def test_a_deleted_sites_records_stay_exportable_with_a_verifying_manifest(
        host_page, console_context, live_server, tmp_path):
    live_server.publish(_doomed_spec())
    consent = _accept_and_wait_for_receipt(host_page(site_id=DOOMED))
    admin_email = next(email for email, role, _sites in CONSOLE_USERS if role == "admin")
    admin = console_log_in(console_context("198.51.100.8"), admin_email)
    admin.goto(f"{CONSOLE}/sites/{DOOMED}/delete")
    admin.fill("#confirmation", "doomed")  # not the id: nothing is deleted
    admin.click("#submit")
    assert "exactly" in admin.inner_text("#confirmation-error")
    admin.fill("#confirmation", DOOMED)
    admin.click("#submit")
    admin.wait_for_url(f"{CONSOLE}/")
    assert f"Site {DOOMED} deleted" in admin.inner_text("main")
    assert admin.goto(f"{CONSOLE}/sites/{DOOMED}/settings").status == 410

    auditor_email = next(email for email, role, _sites in CONSOLE_USERS if role == "auditor")
    # Chromium fetches downloads past Playwright's routes: the auditor uses the server itself.
    auditor = console_log_in(console_context(), auditor_email,
                           console=f"{live_server}/console")
    auditor.goto(f"{live_server}/console/records")
    auditor.select_option("#site", DOOMED)
    auditor.click("#submit")
    auditor.wait_for_selector("#result-count")
    assert auditor.inner_text("#result-count") == "1 record"
    assert consent["id"] in auditor.inner_text("table")
    csv = _download(auditor, "a.button:text-is('CSV')", tmp_path)
    manifest = _download(auditor, "a[href*='/export.csv.manifest.json']", tmp_path)
    assert consent["id"] in csv.read_text(encoding="utf-8")
    key = tmp_path / "ledger.pem"
    key.write_text(auditor.evaluate("fetch('/api/v1/ledger/public-key').then(r => r.text())"))
    result = subprocess.run([sys.executable, str(PROJECT_ROOT / "tools" / "verify_export.py"),
                             str(csv), str(manifest), "--public-key", str(key)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
