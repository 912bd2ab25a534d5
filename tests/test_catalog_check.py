"""The catalog check compares a catalog with what the enabled trackers really write."""
import pytest

from app.sites.check import check_site
from app.sites.files import load_site_file, parse_site_document
from tests.conftest import SAMPLE_SITES


def _spec(document):
    return parse_site_document(document, "test.yaml")


def _codes(spec):
    return [finding.code for finding in check_site(spec)]


def test_check_clean_site_has_no_findings(site_document):
    assert check_site(_spec(site_document())) == []


def test_check_reports_undeclared_tracker_keys_with_near_miss(site_document):
    document = site_document()
    document["catalog"]["analytical"] = [
        {"name": "ym", "match": "prefix", "provider": "Yandex LLC", "purpose": "x",
         "lifetime": "1 year"},
    ]
    messages = [str(f) for f in check_site(_spec(document)) if f.code == "undeclared"]
    assert any("cookie _ym_uid" in m and "ym* does not match it" in m for m in messages)
    assert any("localStorage key _ym12345678_lsid" in m for m in messages)


def test_check_expands_ga4_container_cookie(site_document):
    document = site_document(trackers={"ga4": "G-AB12CD34EF"})
    document["catalog"]["analytical"].append(
        {"name": "_ga", "provider": "Google LLC", "purpose": "x", "lifetime": "2 years"})
    messages = [str(f) for f in check_site(_spec(document))]
    assert any("_ga_AB12CD34EF" in m for m in messages)
    assert not any("cookie _ga," in m for m in messages)


@pytest.mark.parametrize(("item", "code"), [
    ({"name": "ya", "match": "prefix"}, "cannot-clear"),
    ({"name": "yandexuid", "domain": ".yandex.ru"}, "cannot-clear"),
    ({"name": "_fbp"}, "advertising-as-analytics"),
    ({"name": "gclid"}, "advertising-as-analytics"),
    ({"name": "^y.*", "match": "regex"}, "advertising-as-analytics"),
    ({"name": "utm_campaign", "lifetime": None}, "missing-lifetime"),
])
def test_check_flags_analytical_item(site_document, item, code):
    document = site_document()
    entry = {"provider": "first_party", "purpose": "x", "lifetime": "30 days", **item}
    document["catalog"]["analytical"].append({k: v for k, v in entry.items() if v is not None})
    assert code in _codes(_spec(document))


def test_check_accepts_cookie_on_parent_domain(site_document):
    document = site_document()
    document["catalog"]["analytical"].append({
        "name": "_ym_d", "provider": "Yandex LLC", "purpose": "x", "lifetime": "1 year",
        "domain": ".example.com"})
    assert "cannot-clear" not in _codes(_spec(document))


@pytest.mark.parametrize(("trackers", "consent_document", "expected"), [
    # No consent document: the service generates one, nothing to warn about.
    ({}, None, []),
    ({}, {"url": "https://example.com/consent", "version": "1"}, ["ru152-consent-document"]),
    ({}, {"url": "https://example.com/consent", "version": "1", "text": "Согласие"}, []),
    ({}, {"version": "1", "text": {"ru": "Согласие"}}, []),
    ({"ga4": "G-AB12CD34EF"}, {"version": "1", "text": "Согласие"}, ["ru152-cross-border"]),
    ({"meta_pixel": "1234567890"}, None, ["ru152-cross-border"]),
])
def test_check_ru152_rules(site_document, trackers, consent_document, expected):
    document = site_document(regime=["ru152"], trackers=trackers)
    if consent_document:
        document["consent_document"] = consent_document
    codes = [c for c in _codes(_spec(document)) if c.startswith("ru152")]
    assert codes == expected


def test_check_reports_the_familami_policy_mistakes():
    spec = load_site_file(SAMPLE_SITES / "familami.yaml")
    messages = [str(finding) for finding in check_site(spec)]
    text = "\n".join(messages)
    assert "[undeclared] Yandex.Metrica writes cookie _ym_uid" in text
    assert "ym* does not match it" in text
    assert "ya* also covers yandexuid" in text
    assert "[advertising-as-analytics] analytical item _fbp" in text
    assert "[advertising-as-analytics] analytical item gclid" in text
    assert "[advertising-as-analytics] analytical item yclid" in text
    assert "[missing-lifetime] analytical item _ga has no lifetime" in text
    assert "_fbc, which no catalog item declares" in text
