"""What owners may not change, and what a ru152 site may load: guards, notices and the CSP."""
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from app.sites.catalog import catalog_document
from app.sites.check import check_site
from app.sites.columns import columns_from
from app.sites.csp import csp_header, csp_lines, merge_csp, site_csp
from app.sites.files import SiteFileError, parse_site_document
from app.sites.history import site_document as document_of
from app.sites.repository import site_spec
from app.sites.schema import Catalog
from app.sites.texts import BANNER_TEXTS
from app.sites.trackers import held_back_trackers, loadable_trackers

ALL = {"yandex_metrica": "12345678", "ga4": "G-AB12CD34EF", "meta_pixel": "1234567890"}
NOTICE = {"filed": "2025-06-01", "reference": "RKN 123", "localisation_assessed": True}


def _refusal(document):
    with pytest.raises(SiteFileError) as caught:
        parse_site_document(document, "sites/x.yaml")
    return str(caught.value)


# --- which trackers load ------------------------------------------------------------------

@pytest.mark.parametrize(("regime", "notice", "expected"), [
    (["gdpr"], None, ["yandex_metrica", "ga4", "meta_pixel"]),
    (["gdpr"], NOTICE, ["yandex_metrica", "ga4", "meta_pixel"]),
    (["ru152"], None, ["yandex_metrica"]),
    (["ru152"], NOTICE, ["yandex_metrica", "ga4", "meta_pixel"]),
    (["gdpr", "ru152"], None, ["yandex_metrica"]),
    (["gdpr", "ru152"], NOTICE, ["yandex_metrica", "ga4", "meta_pixel"]),
    ([], None, ["yandex_metrica", "ga4", "meta_pixel"]),
])
def test_loadable_trackers_hold_back_cross_border_ones_on_ru152_sites(regime, notice, expected):
    assert list(loadable_trackers(ALL, regime, notice)) == expected
    assert loadable_trackers(ALL, regime, notice) == {name: ALL[name] for name in expected}


@pytest.mark.parametrize("trackers", [{}, {"ga4": "G-AB12CD34EF"}, {"meta_pixel": "123456789"},
                                      {"yandex_metrica": "12345678", "ga4": None}])
def test_only_enabled_trackers_are_ever_loadable(trackers):
    loadable = loadable_trackers(trackers, ["ru152"], None)
    assert set(loadable) <= {name for name, value in trackers.items() if value} - {"ga4",
                                                                                  "meta_pixel"}


def test_a_stored_row_and_a_spec_agree_on_what_is_held_back(site_document):
    spec = parse_site_document(site_document(regime=["ru152"], trackers=ALL), "x")
    row = SimpleNamespace(trackers=ALL, regime=["ru152"], cross_border_notice=None)
    assert held_back_trackers(spec) == held_back_trackers(row) == ["ga4", "meta_pixel"]


# --- the cross-border notice ----------------------------------------------------------------

def test_a_notice_is_read_and_kept(site_document):
    spec = parse_site_document(site_document(regime=["ru152"], cross_border_notice=NOTICE), "x")
    assert spec.cross_border_notice.filed == date(2025, 6, 1)
    assert document_of(spec)["cross_border_notice"] == NOTICE


@pytest.mark.parametrize(("notice", "field"), [
    ({"filed": (date.today() + timedelta(days=2)).isoformat(), "localisation_assessed": True},
     "cross_border_notice.filed: "),
    ({"filed": "someday", "localisation_assessed": True}, "cross_border_notice.filed: "),
    ({"reference": "x", "localisation_assessed": True}, "cross_border_notice.filed: is required"),
    ({"filed": "2025-06-01"}, "cross_border_notice.localisation_assessed: is required"),
    ({"filed": "2025-06-01", "localisation_assessed": False},
     "cross_border_notice.localisation_assessed: must be true"),
    ({**NOTICE, "filed_by": "me"}, "cross_border_notice.filed_by: is not a known field"),
])
def test_a_bad_notice_is_refused_naming_its_field(site_document, notice, field):
    message = _refusal(site_document(regime=["ru152"], cross_border_notice=notice))
    assert message.startswith(f"sites/x.yaml: {field}")


def test_check_warns_of_held_back_trackers_and_reminds_of_localisation(site_document):
    held = check_site(parse_site_document(site_document(regime=["ru152"], trackers=ALL), "x"))
    [warning] = [f for f in held if f.code == "ru152-cross-border"]
    assert warning.message.startswith("ga4, meta_pixel are not loaded: 152-FZ Art. 12 needs "
                                      "the cross-border notice; set cross_border_notice")
    assert "ru152-localisation" not in {f.code for f in held}
    filed = check_site(parse_site_document(
        site_document(regime=["ru152"], trackers=ALL, cross_border_notice=NOTICE), "x"))
    assert "ru152-cross-border" not in {f.code for f in filed}
    [reminder] = [f for f in filed if f.code == "ru152-localisation"]
    assert "filed 2025-06-01 (RKN 123)" in reminder.message and "18(5)" in reminder.message


# --- text overrides -------------------------------------------------------------------------

@pytest.mark.parametrize(("key", "text", "expected"), [
    ("intro", "We use cookies.",
     "texts.ru.intro: must keep %(operator)s (it names the operator on the first layer)"),
    ("intro", "%(operator)s and %(partner)s use cookies.",
     "texts.ru.intro: %(partner)s is not a placeholder of this text (it has: %(operator)s)"),
    ("title", "Hello %(operator)s",
     "texts.ru.title: %(operator)s is not a placeholder of this text (it has: none)"),
    ("intro", "%(operator)s keeps 100% of nothing",
     "texts.ru.intro: has a % that is not a placeholder; write it as %%"),
    ("reject_all", "\u200b\u200b", "texts.ru.reject_all: must not be blank"),
    ("privacy_policy", "\u2060 \u200d", "texts.ru.privacy_policy: must not be blank"),
    ("reject_all", "If you really must, you may reject the optional cookies here",
     "texts.ru.reject_all: is a button or link label: at most 40 characters"),
    ("accept_all", "A" * 41, "texts.ru.accept_all: is a button or link label: at most 40"),
    ("consent_document", "x" * 41, "texts.ru.consent_document: is a button or link label"),
    ("reject_all", "", "texts.ru.reject_all: "),
])
def test_overrides_that_hide_the_first_layer_are_refused(site_document, key, text, expected):
    message = _refusal(site_document(texts={"ru": {key: text}}))
    assert message.startswith(f"sites/x.yaml: {expected}"), message


@pytest.mark.parametrize(("key", "text"), [
    ("intro", "Компания %(operator)s использует cookie."),
    ("reject_all", "Отклонить все"),
    ("settings", "Настройки"),
    ("title", "Мы ценим вашу приватность: 100%% честно"),
    ("settings_intro", "Long texts stay allowed where no label is: " + "x" * 200),
])
def test_overrides_that_keep_the_first_layer_are_accepted(site_document, key, text):
    spec = parse_site_document(site_document(texts={"ru": {key: text}}), "x")
    assert spec.texts["ru"][key] == text


def test_every_placeholder_of_every_default_text_is_guarded(site_document):
    for key, default in BANNER_TEXTS.items():
        if "%(" in default:
            message = _refusal(site_document(texts={"en": {key: "nothing"}}))
            assert message.startswith(f"sites/x.yaml: texts.en.{key}: must keep %("), key


# --- mandatory cookies ---------------------------------------------------------------------

def _mandatory(name, match="exact", storage="cookie"):
    return {"name": name, "match": match, "storage": storage, "provider": "first_party",
            "purpose": "Needed", "lifetime": "1 year"}


@pytest.mark.parametrize(("item", "label", "move_to"), [
    (_mandatory("_ga"), "Google Analytics 4 cookie", "analytical"),
    (_mandatory("_ga_ABC123"), "Google Analytics 4 cookie", "analytical"),
    (_mandatory("_fbp"), "Meta pixel cookie", "marketing"),
    (_mandatory("_ym_uid"), "Yandex.Metrica cookie", "analytical"),
    (_mandatory("_ym_uid", storage="localStorage"), "Yandex.Metrica key", "analytical"),
    (_mandatory("_gid"), "Google Analytics 4 cookie", "analytical"),
    (_mandatory("__utmz"), "Google Analytics cookie", "analytical"),
    (_mandatory("_uetvid"), "Microsoft Advertising cookie", "marketing"),
    (_mandatory("yandexuid"), "Yandex cookie", "marketing"),
    (_mandatory("_hjSessionUser_1"), "Hotjar cookie", "analytical"),
    (_mandatory("gclid"), "Google Ads cookie", "marketing"),
    (_mandatory("_ym_", "prefix"), "Yandex.Metrica cookie", "analytical"),
    (_mandatory("_ga", "prefix"), "Google Analytics 4 cookie", "analytical"),
    (_mandatory("_gcl_", "prefix"), "Google Analytics 4 cookie", "analytical"),
    (_mandatory("_", "prefix"), "Yandex.Metrica cookie", "analytical"),
    (_mandatory("^_ga(_.*)?$", "regex"), "Google Analytics 4 cookie", "analytical"),
    (_mandatory("^_fb[pc]$", "regex"), "Meta pixel cookie", "marketing"),
    (_mandatory("_hj", "regex"), "Hotjar cookie", "analytical"),
])
def test_analytics_and_ad_keys_cannot_be_mandatory(site_document, item, label, move_to):
    document = site_document()
    document["catalog"]["mandatory"].append(item)
    message = _refusal(document)
    assert message == (
        f"sites/x.yaml: catalog.mandatory[1].name: {item['name']!r} is a {label}; it needs "
        f"consent and cannot be mandatory (move it to {move_to})")


@pytest.mark.parametrize("item", [
    _mandatory("cookie_consent"), _mandatory("PHPSESSID"), _mandatory("csrftoken"),
    _mandatory("__cf_bm"), _mandatory("session", "prefix"), _mandatory("^cg_", "regex"),
    _mandatory("lang"), _mandatory("ga"), _mandatory("ym_lang"),
])
def test_site_cookies_stay_mandatory(site_document, item):
    document = site_document()
    document["catalog"]["mandatory"].append(item)
    assert parse_site_document(document, "x").catalog.mandatory[1].name == item["name"]


# --- GA4 advanced Consent Mode -----------------------------------------------------------------

@pytest.mark.parametrize(("regime", "acknowledged", "refused"), [
    (["ru152"], False, "ga4_consent_mode: advanced loads gtag.js before consent, which 152-FZ"),
    (["ru152"], True, "ga4_consent_mode: advanced loads gtag.js before consent, which 152-FZ"),
    (["gdpr", "ru152"], True, "ga4_consent_mode: advanced loads gtag.js before consent, which"),
    (["gdpr"], False, "ga4_consent_mode: advanced loads gtag.js before consent (cookieless "
                      "pings); set ga4_advanced_acknowledged: true"),
    (["gdpr"], True, None),
])
def test_ga4_advanced_mode_per_regime(site_document, regime, acknowledged, refused):
    document = site_document(regime=regime, ga4_consent_mode="advanced",
                             ga4_advanced_acknowledged=acknowledged,
                             trackers={"ga4": "G-AB12CD34EF"})
    if refused:
        assert _refusal(document).startswith(f"sites/x.yaml: {refused}")
    else:
        assert parse_site_document(document, "x").ga4_advanced_acknowledged is True


def test_basic_mode_needs_no_acknowledgement(site_document):
    spec = parse_site_document(site_document(regime=["ru152"], ga4_consent_mode="basic"), "x")
    assert spec.ga4_advanced_acknowledged is False


def test_a_stored_site_the_guards_now_refuse_still_reads_and_is_reported(site_document):
    document = site_document(ga4_consent_mode="advanced", texts={"en": {"intro": "Cookies."}})
    document["catalog"]["mandatory"].append(_mandatory("_ga"))
    row = SimpleNamespace(**columns_from(document))
    stored = SimpleNamespace(content=catalog_document(Catalog.model_validate(document["catalog"]),
                                                      "en"))
    spec = site_spec(row, stored)
    refused = [f.message for f in check_site(spec) if f.code == "refused"]
    assert refused == [
        "texts.en.intro: must keep %(operator)s (it names the operator on the first layer)",
        "catalog.mandatory[1].name: '_ga' is a Google Analytics 4 cookie; it needs consent and "
        "cannot be mandatory (move it to analytical)",
        "ga4_consent_mode: advanced loads gtag.js before consent (cookieless pings); set "
        "ga4_advanced_acknowledged: true to confirm, or use basic",
    ]


# --- the CSP ------------------------------------------------------------------------------

SERVICE = "https://consent.example.com"
METRICA = {"script-src": ["https://mc.yandex.ru", "https://yastatic.net"],
           "connect-src": ["https://mc.yandex.ru", "https://mc.yandex.com", "wss://mc.yandex.ru"],
           "img-src": ["https://mc.yandex.ru", "https://mc.yandex.com"]}


def _site(trackers, regime=("gdpr",), notice=None):
    return SimpleNamespace(trackers=trackers, regime=list(regime), cross_border_notice=notice)


def test_csp_of_a_site_without_trackers_names_only_the_service():
    assert site_csp(_site({}), SERVICE) == {"script-src": [SERVICE], "connect-src": [SERVICE]}


def test_csp_of_metrica_follows_yandex_documentation():
    policy = site_csp(_site({"yandex_metrica": "12345678"}), SERVICE)
    for directive, sources in METRICA.items():
        assert set(sources) <= set(policy[directive]), directive
    assert policy["script-src"][0] == SERVICE
    assert "style-src" not in policy  # the banner's styles are constructed stylesheets


@pytest.mark.parametrize(("tracker", "directive", "source"), [
    ("ga4", "script-src", "https://*.googletagmanager.com"),
    ("ga4", "connect-src", "https://*.google-analytics.com"),
    ("ga4", "connect-src", "https://*.analytics.google.com"),
    ("ga4", "img-src", "https://*.google-analytics.com"),
    ("meta_pixel", "script-src", "https://connect.facebook.net"),
    ("meta_pixel", "img-src", "https://www.facebook.com"),
    ("meta_pixel", "connect-src", "https://www.facebook.com"),
])
def test_csp_per_tracker(tracker, directive, source):
    policy = site_csp(_site({tracker: ALL[tracker]}), SERVICE)
    assert source in policy[directive]
    others = site_csp(_site({name: ALL[name] for name in ALL if name != tracker}), SERVICE)
    assert source not in " ".join(" ".join(s) for s in others.values())


def test_csp_leaves_out_trackers_held_back_on_a_ru152_site():
    held = site_csp(_site(ALL, ["ru152"]), SERVICE)
    assert held == site_csp(_site({"yandex_metrica": ALL["yandex_metrica"]}), SERVICE)
    assert "googletagmanager" not in csp_header(held) and "facebook" not in csp_header(held)
    filed = site_csp(_site(ALL, ["ru152"], NOTICE), SERVICE)
    assert "https://*.googletagmanager.com" in filed["script-src"]
    assert "https://connect.facebook.net" in filed["script-src"]


def test_csp_renders_as_lines_and_as_one_header_without_duplicates():
    policy = merge_csp({"script-src": ["'self'"], "base-uri": ["'none'"]},
                       site_csp(_site({"yandex_metrica": "1234567"}), SERVICE),
                       site_csp(_site({"yandex_metrica": "1234567"}), SERVICE))
    lines = csp_lines(policy)
    assert lines[0] == f"script-src 'self' {SERVICE} https://mc.yandex.ru https://yastatic.net;"
    assert lines[-1] == "base-uri 'none';"
    assert csp_header(policy).count("https://yastatic.net") == 1
    assert csp_header(policy).split("; ")[0] == lines[0].rstrip(";")
