"""compare.py: what a scan saw x a catalog -> findings, without a browser."""
from datetime import UTC, datetime

import pytest

from app.scanner.compare import compare, failed
from app.scanner.observations import Crawl, PassResult, Seen
from app.sites.schema import Catalog

PAGE = "https://www.shop.example/"
DAY, YEAR = 86400, 365 * 86400
OWNER_SCRIPT = "https://www.shop.example/static/stats.js"
CATALOG = Catalog.model_validate({
    "mandatory": [{"name": "session", "provider": "first_party", "purpose": "Log-in",
                   "lifetime": "session"}],
    "analytical": [
        {"name": "^_ym_", "match": "regex", "provider": "Yandex LLC", "purpose": "Statistics",
         "lifetime": "1 year"},
        {"name": "_ga", "provider": "Google LLC", "purpose": "Statistics", "lifetime": "1 year"},
        {"name": "visits", "provider": "first_party", "purpose": "Statistics"},
        {"name": "fb_custom", "provider": "Meta", "purpose": "Statistics", "lifetime": "1 day"},
        {"name": "counter", "storage": "pixel", "provider": "first_party", "purpose": "Pixel"},
    ],
    "marketing": [{"name": "_fbp", "provider": "Meta", "purpose": "Ads", "lifetime": "90 days"}],
})
#: Every catalog item's key, seen where it should be; each case adds to or replaces it.
CLEAN = [
    Seen("cookie", "session", PAGE, "none", domain="www.shop.example"),
    Seen("cookie", "_ym_uid", PAGE, "accept", domain=".shop.example", lifetime=YEAR - 5,
         set_by="https://mc.yandex.ru/metrika/tag.js", set_by_kind="script"),
    Seen("cookie", "_ga", PAGE, "accept", domain=".shop.example", lifetime=YEAR - 5),
    Seen("cookie", "visits", PAGE, "accept", domain="www.shop.example", lifetime=None),
    Seen("cookie", "fb_custom", PAGE, "accept", domain=".shop.example", lifetime=DAY),
    Seen("cookie", "_fbp", PAGE, "accept", domain=".shop.example", lifetime=90 * DAY - 5,
         set_by="https://connect.facebook.net/en_US/fbevents.js", set_by_kind="script"),
    Seen("cookie", "cg_consent", PAGE, "reject", domain="www.shop.example", lifetime=200 * DAY),
    Seen("localStorage", "cg_outbox", PAGE, "reject"),
]


def scan(*extra, replace=(), hosts=()):
    """Return the findings of CLEAN (minus the names in replace) plus extra, as (code, name)."""
    items = [seen for seen in CLEAN if seen.name not in replace] + list(extra)
    crawl = Crawl(datetime.now(UTC), passes=[
        PassResult(PAGE, pass_name, True, [seen for seen in items if seen.pass_name == pass_name],
                   [host for host, name in hosts if name == pass_name])
        for pass_name in ("none", "reject", "accept")])
    findings = compare(crawl, CATALOG, {"yandex_metrica": "analytical", "meta_pixel": "marketing"})
    return findings, {(finding.code, finding.name) for finding in findings
                      if not (finding.code == "lifetime" and finding.name == "visits")}


def test_a_clean_scan_finds_only_the_missing_lifetime():
    findings, codes = scan()
    assert codes == set()
    # visits has no lifetime in the catalog: the one finding a clean scan keeps.
    assert [(f.code, f.name) for f in findings] == [("lifetime", "visits")]
    assert not failed(findings)


@pytest.mark.parametrize(("extra", "replace", "expected"), [
    # Set before any choice, or after Reject all: a leak, whatever the catalog says.
    ([Seen("cookie", "_ym_uid", PAGE, "none", domain=".shop.example", lifetime=YEAR)], (),
     {("leak", "_ym_uid")}),
    ([Seen("cookie", "_ga", PAGE, "reject", domain=".shop.example", lifetime=YEAR)], (),
     {("leak", "_ga")}),
    ([Seen("localStorage", "_ym_uid", PAGE, "none")], (),
     {("leak", "_ym_uid"), ("undeclared", "_ym_uid")}),
    # A mandatory cookie before the choice is what mandatory means.
    ([Seen("cookie", "session", PAGE, "reject", domain="www.shop.example")], (), set()),
    # Undeclared: a well-known key is filed by the table; an unknown one early is no leak.
    ([Seen("cookie", "_ga_X1", PAGE, "accept", domain=".shop.example", lifetime=YEAR)], (),
     {("undeclared", "_ga_X1")}),
    ([Seen("cookie", "theme", PAGE, "none", domain="www.shop.example")], (),
     {("undeclared", "theme")}),
    ([Seen("cookie", "_gcl_au", PAGE, "none", domain=".shop.example", lifetime=90 * DAY)], (),
     {("undeclared", "_gcl_au"), ("leak", "_gcl_au")}),
    # Wrong category: the table knows better, or a script of another category writes it.
    ([Seen("cookie", "_fbp", PAGE, "accept", domain=".shop.example", lifetime=90 * DAY)],
     ("_fbp",), set()),
    ([Seen("cookie", "visits", PAGE, "accept", domain="www.shop.example", set_by=OWNER_SCRIPT,
           script_category="marketing")], ("visits",), {("wrong-category", "visits")}),
    ([Seen("cookie", "fb_custom", PAGE, "accept", domain=".shop.example", lifetime=DAY,
           set_by="https://connect.facebook.net/en_US/fbevents.js")], ("fb_custom",),
     {("wrong-category", "fb_custom")}),
    ([Seen("cookie", "_ym_uid", PAGE, "accept", domain=".shop.example", lifetime=YEAR,
           set_by="https://mc.yandex.ru/metrika/tag.js")], ("_ym_uid",), set()),
    # Lifetimes: declared 1 year, set for 2; within the slack; a session cookie kept longer.
    ([Seen("cookie", "_ga", PAGE, "accept", domain=".shop.example", lifetime=2 * YEAR)],
     ("_ga",), {("lifetime", "_ga")}),
    ([Seen("cookie", "_ga", PAGE, "accept", domain=".shop.example", lifetime=YEAR + DAY)],
     ("_ga",), set()),
    ([Seen("cookie", "session", PAGE, "none", domain="www.shop.example", lifetime=DAY)],
     ("session",), {("lifetime", "session")}),
    # A cookie on a domain the page cannot write is beyond the site's reach on withdrawal.
    ([Seen("cookie", "_ym_uid", PAGE, "accept", domain=".yandex.ru", lifetime=YEAR)],
     ("_ym_uid",), {("cannot-clear", "_ym_uid")}),
    ([Seen("cookie", "_ym_uid", PAGE, "accept", domain="shop.example", lifetime=YEAR)],
     ("_ym_uid",), set()),
    # Declared, never seen (a pixel has nothing to see).
    ([], ("_fbp",), {("not-seen", "_fbp")}),
    ([], ("_ym_uid",), {("not-seen", "^_ym_")}),
    # The gate's own storage is the service's to declare.
    ([Seen("cookie", "cg_consent", PAGE, "none", domain="www.shop.example", lifetime=DAY)],
     (), set()),
])
def test_findings(extra, replace, expected):
    _findings, codes = scan(*extra, replace=replace)
    assert codes == expected


@pytest.mark.parametrize(("hosts", "expected"), [
    ([("mc.yandex.ru", "none")], {("leak", "mc.yandex.ru")}),
    ([("connect.facebook.net", "reject")], {("leak", "connect.facebook.net")}),
    ([("mc.yandex.ru", "accept")], set()),
    ([("fonts.example.net", "none")], set()),
])
def test_tracker_requests_before_consent_leak(hosts, expected):
    _findings, codes = scan(hosts=hosts)
    assert codes == expected


def test_findings_come_most_serious_first_with_suggestions():
    findings, _codes = scan(
        Seen("cookie", "_ym_isad", PAGE, "none", domain=".shop.example", lifetime=2 * DAY),
        Seen("cookie", "_fbc", PAGE, "accept", domain=".shop.example", lifetime=90 * DAY),
        replace=("_fbp",))
    assert [f.code for f in findings] == ["leak", "undeclared", "lifetime", "not-seen"]
    leak = findings[0]
    assert (leak.name, leak.passes, leak.category, leak.declared) == (
        "_ym_isad", ("none",), "analytical", "/^_ym_/")
    assert leak.message == "analytical cookie _ym_isad is set before any choice"
    undeclared = findings[1]
    assert undeclared.suggestion.as_document() == {
        "category": "marketing",
        "item": {"name": "_fbc", "match": "exact", "storage": "cookie",
                 "provider": "Meta Platforms, Inc.", "lifetime": "90 days",
                 "purpose": "Keeps the ad click identifier (Meta pixel)"}}
    assert failed(findings)


def test_a_lifetime_mismatch_names_both_lifetimes():
    findings, _codes = scan(
        Seen("cookie", "_ga", PAGE, "accept", domain=".shop.example", lifetime=2 * YEAR - 3),
        replace=("_ga",))
    lifetime = next(f for f in findings if f.code == "lifetime" and f.name == "_ga")
    assert lifetime.message == "cookie _ga is declared for 1 year, but it is set for 2 years"
    assert lifetime.suggestion.lifetime == "2 years"
    assert not failed([lifetime])


def test_a_tracker_cookie_filed_as_mandatory_is_the_wrong_category_not_a_leak():
    catalog = Catalog.model_validate({"mandatory": [
        {"name": "_ga", "provider": "Google LLC", "purpose": "Statistics", "lifetime": "2 years"}],
        "analytical": []})
    crawl = Crawl(datetime.now(UTC), passes=[PassResult(PAGE, "none", True, [
        Seen("cookie", "_ga", PAGE, "none", domain=".shop.example", lifetime=YEAR)])])
    findings = compare(crawl, catalog)
    assert [(f.code, f.name) for f in findings] == [("wrong-category", "_ga")]
    assert findings[0].message == ("cookie _ga is declared mandatory (_ga), but it is Google LLC's "
                                   "analytical cookie")
    assert findings[0].suggestion.category == "analytical"
