"""The scanner's small parts: suggestions, lifetimes, robots.txt, links, and no Playwright."""
import sys
from types import SimpleNamespace

import pytest

from app.evidence.capture import BannerScripts, ChromiumMissing, capture
from app.scanner.crawl import CrawlOptions, crawl
from app.scanner.network import Network
from app.scanner.robots import is_first_party, page_links, robots_rules
from app.scanner.suggestions import known_key, lifetime_text, suggest

DAY = 86400


@pytest.mark.parametrize(("seconds", "text"), [
    (365 * DAY - 3, "1 year"), (2 * 365 * DAY, "2 years"), (400 * DAY - 1, "400 days"),
    (90 * DAY - 1, "3 months"), (2 * DAY - 1, "2 days"), (1800, "30 minutes"), (59, "1 minute"),
    (20, "1 minute"), (5000, "83 minutes"),
    (36 * 3600, "36 hours"),
])
def test_lifetime_text(seconds, text):
    assert lifetime_text(seconds) == text


@pytest.mark.parametrize(("storage", "name", "entry"), [
    ("cookie", "_ga", ("_ga", "exact")), ("cookie", "_ga_ABC123", ("_ga_", "prefix")),
    ("cookie", "_ym_uid", ("_ym_uid", "exact")), ("cookie", "_ym_visorc_1", ("_ym_", "prefix")),
    ("localStorage", "_ym_uid", ("_ym", "prefix")), ("cookie", "theme", None),
    ("localStorage", "_ga", None),
])
def test_known_keys_exact_before_the_longest_prefix(storage, name, entry):
    key = known_key(storage, name)
    assert (key.name, key.match) == entry if entry else key is None


def test_suggestions_declare_the_longer_of_the_vendor_and_the_browser_lifetime():
    # Chrome caps _ga at 400 days; Google sets it for 2 years.
    assert suggest("cookie", "_ga", 400 * DAY).lifetime == "2 years"
    assert suggest("cookie", "_ym_isad", 30 * DAY).lifetime == "1 month"
    assert suggest("cookie", "theme", None).lifetime == "session"
    assert suggest("sessionStorage", "_ym_x").lifetime == "session"
    assert suggest("localStorage", "cart").lifetime == "persistent"


@pytest.mark.parametrize(("kwargs", "category", "provider"), [
    ({"script_category": "marketing"}, "marketing", "first_party"),
    ({"set_by": "https://connect.facebook.net/en_US/fbevents.js"}, "marketing",
     "Meta Platforms, Inc."),
    ({"set_by": "https://mc.yandex.ru/metrika/tag.js"}, "analytical", "Yandex LLC"),
    ({"before_consent": True}, "mandatory", "first_party"),
    ({}, "functional", "first_party"),
])
def test_unknown_keys_are_filed_by_what_wrote_them(kwargs, category, provider):
    suggestion = suggest("cookie", "custom", DAY, **kwargs)
    assert (suggestion.category, suggestion.provider) == (category, provider)


def test_robots_txt_answers():
    rules = robots_rules(200, "User-agent: *\nDisallow: /private/\n")
    assert rules.can_fetch("ConsentGateScanner", "https://a.example/shop")
    assert not rules.can_fetch("ConsentGateScanner", "https://a.example/private/x")
    assert not robots_rules(403, "").can_fetch("ConsentGateScanner", "https://a.example/")
    assert robots_rules(404, "").can_fetch("ConsentGateScanner", "https://a.example/private/")
    assert robots_rules(0, "").can_fetch("ConsentGateScanner", "https://a.example/")


def test_links_stay_on_the_origin_and_on_pages():
    links = page_links("https://www.a.example/shop", [
        "https://www.a.example/about#team", "https://www.a.example/about",
        "https://a.example/other", "http://www.a.example/plain", "mailto:x@a.example",
        "https://www.a.example/price.pdf", "https://www.a.example/cart?x=1",
        "https://evil.example/"])
    assert links == ["https://www.a.example/about", "https://www.a.example/cart?x=1"]


@pytest.mark.parametrize(("host", "first"), [
    ("www.a.example", True), ("cdn.a.example", True), ("a.example", True),
    ("mc.yandex.ru", False), ("a.example.evil", False),
])
def test_first_party_hosts(host, first):
    assert is_first_party(host, "www.a.example") is first


class FakeResponse(SimpleNamespace):
    def header_values(self, name):
        assert name == "set-cookie"
        return self.cookies


def test_set_cookie_headers_name_the_response_that_set_them():
    network = Network(SimpleNamespace(on=lambda *_args: None))
    network.responses = [
        (1.0, FakeResponse(url="https://a.example/", cookies=["sid=1; HttpOnly"])),
        (2.0, FakeResponse(url="https://a.example/login", cookies=["sid=2", "seen=1; Path=/"])),
    ]
    assert network.cookie_writers() == {"sid": (2.0, "https://a.example/login"),
                                        "seen": (2.0, "https://a.example/login")}


@pytest.fixture
def no_playwright(monkeypatch):
    """Make `import playwright...` fail, as on an install without the scanner extra."""
    for name in ("playwright", "playwright.sync_api"):
        monkeypatch.setitem(sys.modules, name, None)


def test_without_playwright_a_scan_names_the_extra(no_playwright):
    with pytest.raises(ChromiumMissing, match=r"consent-gate\[scanner\]"):
        crawl(CrawlOptions(("https://a.example/",), "/usr/bin/chromium"))


def test_without_playwright_screenshots_are_skipped_with_a_reason(no_playwright):
    scripts = BannerScripts("shop", b"", "https://x/", {})
    with pytest.raises(ChromiumMissing, match="playwright package is not installed"):
        capture("/usr/bin/chromium", scripts, ["en"])
