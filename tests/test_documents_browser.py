"""The consent document in Chromium: the banner links the generated text, and the record of the
visitor's choice keeps the digest of exactly the bytes that link serves."""
import hashlib
import json
import urllib.request

import pytest
import yaml

from app.sites.files import load_site_file
from tests.conftest import SAMPLE_SITES

pytestmark = pytest.mark.browser

TITLES = {"ru": "Согласие на обработку персональных данных",
          "en": "Consent to the processing of personal data"}
LOCALES = {"ru": "ru-RU", "en": "en-US"}
#: The 152-FZ samples, none of which names a consent document of its own.
SITES = [("loginom", "ru"), ("loginom", "en"), ("flomni", "ru"), ("sens", "en")]

DIGEST_IN_BROWSER = """async href => {
    const bytes = await (await fetch(href)).arrayBuffer();
    const digest = await crypto.subtle.digest("SHA-256", bytes);
    return [...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, "0")).join("");
}"""


@pytest.fixture(scope="session")
def docs_sites(live_server, tmp_path_factory):
    """Publish each 152-FZ sample as "<id>-docs", embeddable by its test host page."""
    folder = tmp_path_factory.mktemp("docs-sites")
    (folder / "policies").symlink_to(SAMPLE_SITES / "policies")
    for site_id in {site_id for site_id, _language in SITES}:
        document = yaml.safe_load((SAMPLE_SITES / f"{site_id}.yaml").read_text("utf-8"))
        document.update(id=f"{site_id}-docs", origins=[f"https://www.{site_id}-docs.test"])
        path = folder / f"{site_id}-docs.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        live_server.publish(load_site_file(path))
    return live_server


def _get(url):
    with urllib.request.urlopen(url) as response:
        return response.read()


@pytest.mark.parametrize(("site_id", "language"), SITES)
def test_the_banner_links_the_generated_document_and_the_record_keeps_its_digest(
        host_page, docs_sites, site_id, language):
    live_server, site_id = docs_sites, f"{site_id}-docs"
    visit = host_page(site_id=site_id, lang=language, locale=LOCALES[language])
    visit.banner().wait_for()
    link = visit.page.locator("#consent-gate .links a[href*='/consent/']")
    assert link.get_attribute("href") == \
        f"https://consent.gate.test/documents/{site_id}/consent/{language}"
    with visit.context.expect_page() as opened:
        link.click()
    document = opened.value
    document.wait_for_load_state()
    assert document.locator("body").inner_text().splitlines()[0] == TITLES[language]
    seen_digest = document.evaluate(DIGEST_IN_BROWSER, document.url)
    served = _get(f"{live_server}/documents/{site_id}/consent/{language}")
    assert hashlib.sha256(served).hexdigest() == seen_digest
    document.close()

    visit.click("accept")
    visit.page.wait_for_function("ConsentGate.getConsent() && ConsentGate.getConsent().receipt")
    receipt = visit.page.evaluate("ConsentGate.getConsent().receipt")
    record = json.loads(_get(f"{live_server}/api/v1/receipts/{receipt}"))["record"]
    assert record["language"] == language and record["ui_action"] == "accept_all"
    assert record["consent_document_digest"] == seen_digest
    assert _get(f"{live_server}/documents/{seen_digest}") == served
    # The policy is the operator's own English text, stored and linked the same way.
    assert record["policy_digest"] == hashlib.sha256(
        _get(f"{live_server}/documents/{site_id}/policy/{language}")).hexdigest()
