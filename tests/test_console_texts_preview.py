"""The texts editor's preview: typed texts come back as visitors would read them, unsaved."""
import pytest

from app.extensions import db
from app.sites.repository import SiteRepository
from tests.conftest import login

PREVIEW = "/console/sites/testshop/texts/preview"


def _revisions():
    return len(SiteRepository(db.session).revisions("testshop"))


def test_typed_texts_come_back_filled_in_and_nothing_is_saved(app, owner):
    before = _revisions()
    typed = {"title": "Cookies, briefly", "kept_both": "Yes %(days)s, no %(refusal_days)s.",
             "changed_policy": "New policy!", "intro": "%(operator)s asks first."}
    response = owner.post(f"{PREVIEW}?language=en", data=typed)
    assert response.status_code == 200, response.json
    preview = response.json
    assert preview["texts"]["title"] == "Cookies, briefly"
    assert preview["texts"]["intro"] == "Test Shop LLC asks first."
    # The small print as the banner joins it: lifetimes filled, then transfers and vendor cookies.
    assert preview["small"].startswith("Yes 180 days, no 90 days. ")
    assert "United States" in preview["small"]
    assert preview["notices"]["changed_policy"] == "New policy!"
    # Added providers read as a visitor asked again would read them, with real names.
    assert "Yandex" in preview["notices"]["changed_vendors"]
    assert "%(" not in preview["notices"]["changed_vendors"]
    assert "Global Privacy Control" in preview["notices"]["gpc_notice"]
    assert _revisions() == before


def test_the_preview_is_in_the_language_asked_for(app, owner):
    preview = owner.post(f"{PREVIEW}?language=ru", data={}).json
    assert preview["texts"]["reject_all"] == "Отклонить все"
    assert "180 дней" in preview["small"]


@pytest.mark.parametrize("data, field", [
    ({"title": "x" * 2001}, "title"),
])
def test_a_refused_text_names_its_field(app, owner, data, field):
    response = owner.post(f"{PREVIEW}?language=en", data=data)
    assert response.status_code == 422
    assert response.json["error"]["field"] == field and response.json["error"]["message"]


def test_the_preview_is_the_owners_alone(app, owner, make_user):
    assert owner.post(f"{PREVIEW}?language=xx", data={}).status_code == 404
    for role, sites in (("auditor", ()), ("owner", ())):
        client = app.test_client()
        login(client, make_user(role, *sites))
        assert client.post(f"{PREVIEW}?language=en", data={}).status_code == 403


def test_the_editor_offers_the_situations_the_site_has(app, owner):
    page = owner.get("/console/sites/testshop/texts?language=en").data.decode()
    situation = page.split('<select id="preview-situation"', 1)[1].split("</select>", 1)[0]
    for key in ("changed_policy", "changed_expired", "changed_vendors", "gpc_notice"):
        assert f'value="{key}"' in situation
    assert 'data-preview-url="/console/sites/testshop/texts/preview?language=en"' in page
