"""The console's legal texts page: an owner uploads a policy or consent text per language; it
is stored by digest, made the current version, linked by the banner and written to the audit."""
import hashlib
import io

import pytest
from sqlalchemy import select

from app.accounts.models import AuditEntry
from app.banner.bundle import read_bundle_config
from app.extensions import db
from app.sites.tables import LegalDocument

URL = "/console/sites/testshop/documents"


def _upload(client, kind, language, content, name="text.txt"):
    return client.post(URL, data={"kind": kind, "language": language,
                                  "text_file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def _config(client):
    return read_bundle_config(client.get("/c/testshop.js?lang=ru",
                                         headers={"Accept-Encoding": ""}).data)


@pytest.mark.parametrize(("kind", "key", "link"), [
    ("consent_document", "document", "/documents/testshop/consent/ru"),
    ("privacy_policy", "policy", "/documents/testshop/policy/ru"),
])
def test_an_uploaded_text_becomes_the_current_version(owner, kind, key, link):
    before = _config(owner)
    text = "Согласие на обработку персональных данных\n\nТекст оператора.".encode()
    assert _upload(owner, kind, "ru", text).status_code == 302
    after = _config(owner)
    version = after["versions"]["policy" if key == "policy" else "document"]
    assert version.startswith("up-") and version != before["versions"]["policy"]
    assert after["texts"]["ru"]["links"][key] == link
    served = owner.get(link)
    assert served.data == text and hashlib.sha256(served.data).hexdigest() == \
        served.headers["X-Document-Digest"]
    row = db.session.scalar(select(LegalDocument).filter_by(site_id="testshop", version=version))
    assert row.text == text.decode() and row.language == "ru" and not row.generated
    # Other languages keep their link until they get a text of their own (then the Russian one).
    page = owner.get(URL).get_data(as_text=True)
    assert row.digest in page
    entry = db.session.scalar(select(AuditEntry).filter_by(action="site.document"))
    assert entry.target == "testshop" and entry.details["version"] == version


def test_a_second_language_keeps_the_first(owner):
    assert _upload(owner, "consent_document", "ru", "Согласие.".encode()).status_code == 302
    assert _upload(owner, "consent_document", "en", b"Consent.").status_code == 302
    assert owner.get("/documents/testshop/consent/ru").data == "Согласие.".encode()
    assert owner.get("/documents/testshop/consent/en").data == b"Consent."


@pytest.mark.parametrize(("content", "name", "problem"), [
    (b"\xff\xfe", "bad.txt", "not UTF-8"),
    (b"   ", "empty.txt", "empty"),
    (b"x" * 101, "big.txt", "larger than 100 bytes"),
    (b"<p>hi</p>", "page.exe", "Plain text, Markdown or HTML files only"),
])
def test_a_bad_upload_is_refused_and_nothing_is_stored(owner, monkeypatch, content, name,
                                                       problem):
    # A small bound, so the test client need not spool a megabyte to a temporary file.
    monkeypatch.setattr("app.console.views_documents.MAX_DOCUMENT_BYTES", 100)
    response = _upload(owner, "consent_document", "ru", content, name)
    assert response.status_code == 422
    assert problem in response.get_data(as_text=True)
    assert db.session.scalar(select(LegalDocument).filter_by(site_id="testshop")) is None


def test_an_html_upload_is_served_as_its_source(owner):
    html = b"<h1>Policy</h1><script>alert(1)</script>"
    assert _upload(owner, "privacy_policy", "en", html, "policy.html").status_code == 302
    served = owner.get("/documents/testshop/policy/en")
    assert served.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert served.headers["X-Content-Type-Options"] == "nosniff" and served.data == html


def test_the_upload_needs_the_csrf_token(app, owner):
    app.config["WTF_CSRF_ENABLED"] = True
    response = _upload(owner, "consent_document", "ru", "Согласие.".encode())
    assert response.status_code in (400, 422)
    assert db.session.scalar(select(LegalDocument).filter_by(site_id="testshop")) is None
