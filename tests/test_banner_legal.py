"""What the first layer tells a visitor, and what the records say happened (issue 14)."""
import pytest

from tests.browser import console_shop_spec

pytestmark = pytest.mark.browser



def shadow_text(visit, selector):
    return visit.page.locator(f"#consent-gate {selector}").inner_text()


@pytest.mark.parametrize(("site_id", "lang", "named", "not_named", "kept"), [
    ("flomni", "ru", ["Yandex.Metrica (Yandex LLC)"], ["Google", "Meta"], "180 дней"),
    ("flomni", "en", ["Yandex.Metrica (Yandex LLC)"], ["Google", "Meta"], "180 days"),
    ("loginom", "ru", ["Yandex.Metrica (Yandex LLC)"], ["Google", "Meta"], "180 дней"),
    ("loginom", "en", ["Yandex.Metrica (Yandex LLC)"], ["Google", "Meta"], "180 days"),
    ("familami", "en", ["Yandex.Metrica (Yandex LLC, Russia)",
                        "Google Analytics 4 (Google LLC, United States)"], [], "180 days"),
    ("familami", "ru", ["Yandex.Metrica (Yandex LLC, Россия)",
                        "Google Analytics 4 (Google LLC, Соединенные Штаты)"], [], "180 дней"),
    ("sens", "ru", [], ["Google", "Meta"], "180 дней"),
    ("sens", "en", [], ["Google", "Meta"], "180 days"),
])
def test_the_first_layer_names_vendors_lifetime_and_withdrawal(host_page, site_id, lang, named,
                                                               not_named, kept):
    visit = host_page(site_id=site_id, lang=lang)
    visit.banner().wait_for()
    purposes = shadow_text(visit, ".purposes")
    for vendor in named:
        assert vendor in purposes
    for vendor in not_named:
        assert vendor not in visit.banner().inner_text()
    notes = shadow_text(visit, ".small")
    assert kept in notes
    # The launcher is how a visitor changes their mind: the line says so in their language.
    assert {"ru": "с помощью кнопки cookie на каждой странице",
            "en": "with the cookie button on every page"}[lang] in notes
    # Cookies on the vendors' own domains are the visitor's to clear, when there are vendors.
    vendors_cookies = {"ru": "удалите их в браузере", "en": "clear them in your browser"}[lang]
    assert (vendors_cookies in notes) == bool(named)


# The phone coverage of the first layer, every sample site in every language: test_banner_design.


def legal_shop(**changes):
    """Return the console shop's spec under its own id, a GDPR site, with changes applied."""
    document = console_shop_spec().model_dump(mode="json", exclude_none=True)
    document.update(id="legalshop", name="Legal Shop", origins=["https://www.legalshop.test"],
                    regime=["gdpr"])
    document.update(changes)
    from app.sites.files import parse_site_document

    return parse_site_document(document, "legalshop")


@pytest.fixture
def legalshop(live_server):
    """Publish the legal shop with Metrica only; yield a function that republishes it."""
    catalog = console_shop_spec().model_dump(mode="json", exclude_none=True)["catalog"]
    without_ga = {**catalog, "analytical": [item for item in catalog["analytical"]
                                            if item["provider"] != "Google LLC"]}
    base = {"trackers": {"yandex_metrica": "44556677", "meta_pixel": "1234567890123"},
            "catalog": without_ga}

    def publish(**changes):
        live_server.publish(legal_shop(**{**base, **changes}))
    publish()
    yield publish, catalog


def receipt_record(visit, live_server, previous=None):
    """Return the ledger's record of the visitor's latest choice, by its receipt."""
    condition = "ConsentGate.getConsent() && ConsentGate.getConsent().receipt"
    if previous:
        condition += f" && ConsentGate.getConsent().receipt !== '{previous}'"
    visit.page.wait_for_function(condition)
    receipt = visit.page.evaluate("ConsentGate.getConsent().receipt")
    proof = visit.context.request.get(f"{live_server}/api/v1/receipts/{receipt}").json()
    assert proof["verified"] is True
    return proof["record"]


def test_a_new_vendor_asks_again_only_those_who_granted_its_category(host_page, legalshop,
                                                                     live_server):
    publish, catalog = legalshop
    granted = host_page(site_id="legalshop")
    granted.click("accept")
    granted.page.wait_for_function("ConsentGate.getConsent().receipt")
    refused = host_page(site_id="legalshop")
    refused.click("reject")
    refused.page.wait_for_function("ConsentGate.getConsent().receipt")
    publish(trackers={"yandex_metrica": "44556677", "meta_pixel": "1234567890123",
                      "ga4": "G-TEST123456"}, catalog=catalog)
    for visit in (granted, refused):
        visit.tracker_requests.clear()
        visit.page.reload()
        visit.settle()
    assert granted.banner().is_visible()
    assert shadow_text(granted, ".notice") == (
        "Added since your last choice: Google Analytics 4 (Analytical).")
    # Until they answer again, nothing of the changed consent runs.
    assert granted.tracker_requests == []
    assert not refused.banner().is_visible()


@pytest.mark.parametrize("change", ["texts", "removal"])
def test_text_changes_and_removed_vendors_ask_no_one_again(host_page, legalshop, change):
    publish, _catalog = legalshop
    visit = host_page(site_id="legalshop")
    visit.click("accept")
    visit.page.wait_for_function("ConsentGate.getConsent().receipt")
    if change == "texts":
        publish(texts={"en": {"title": "Legal Shop asks about cookies"}})
    else:
        publish(trackers={"yandex_metrica": "44556677"})
    visit.page.reload()
    visit.settle()
    assert not visit.banner().is_visible()
    assert visit.page.evaluate("ConsentGate.getConsent().choices.analytical") is True


@pytest.mark.parametrize("how", ["close button", "escape"])
def test_closing_on_a_first_visit_is_recorded_as_dismiss(host_page, legalshop, live_server, how):
    visit = host_page(site_id="legalshop")
    visit.banner().wait_for()
    if how == "escape":
        visit.page.keyboard.press("Escape")
    else:
        visit.page.locator("#consent-gate .close").click()
    record = receipt_record(visit, live_server)
    assert (record["event"], record["ui_action"]) == ("deny", "dismiss")
    assert record["choices"] == {"mandatory": True, "analytical": False, "marketing": False}


def test_a_placeholder_names_its_vendors_and_its_unlock_is_recorded(host_page, legalshop,
                                                                     live_server):
    frame = ('<iframe data-consent="marketing" data-src="https://www.legalshop.test/video" '
             'title="Video"></iframe>')
    visit = host_page(site_id="legalshop", body=frame)
    placeholder = visit.page.locator("[data-consent-placeholder] .placeholder")
    placeholder.wait_for()
    assert "Meta pixel (Meta Platforms, Inc." in placeholder.inner_text()
    placeholder.locator('[data-action="allow"]').click()
    record = receipt_record(visit, live_server)
    assert (record["event"], record["ui_action"]) == ("grant", "placeholder")
    assert record["choices"] == {"mandatory": True, "analytical": False, "marketing": True}
    assert record["trackers"] == ["meta_pixel"]


def test_the_gpc_default_shows_in_the_record_of_the_next_choice(host_page, legalshop, live_server):
    visit = host_page(site_id="legalshop", gpc=True)
    visit.click("accept")
    record = receipt_record(visit, live_server)
    assert record["gpc"] is True and record["gpc_applied"] is True
    plain = host_page(site_id="legalshop")
    plain.click("accept")
    assert receipt_record(plain, live_server)["gpc_applied"] is False


def test_the_pixel_is_revoked_before_init_on_every_page(host_page, legalshop):
    visit = host_page(site_id="legalshop")
    visit.click("accept")
    for _page in range(2):
        visit.page.wait_for_function("window.__fbqCalls && __fbqCalls.length >= 4")
        calls = visit.page.evaluate("window.__fbqCalls")
        assert calls[:4] == [["consent", "revoke"], ["init", "1234567890123"],
                             ["consent", "grant"], ["track", "PageView"]]
        visit.page.reload()
