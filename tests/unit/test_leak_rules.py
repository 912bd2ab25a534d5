"""The leak watcher's rules and the leak report parser, without an app."""
import json
from types import SimpleNamespace

import pytest

from app.leaks.report import parse_leak_report
from app.leaks.rules import watcher_rules
from app.leaks.settings import DEFAULT_SAMPLE, leak_sample
from app.ledger.report import IntakeError


def item(name, match="exact", storage="cookie", domain=None):
    """Return a catalog item document."""
    return {"name": name, "match": match, "storage": storage, "provider": "Someone",
            "purpose": {"en": "Something"}, "lifetime": "1 year", "domain": domain}


def test_leak_rules_follow_the_catalog_where_it_files_a_tracker():
    catalog = {"mandatory": [item("session")],
               "analytical": [item("stats", domain=".stats.example")],
               "marketing": [item("_ym_uid")]}
    rules = watcher_rules(catalog)
    # Metrica's anchor filed under marketing: its hosts and keys wait for marketing.
    assert "mc.yandex.ru" in rules["hosts"]["marketing"]
    assert "mc.yandex.ru" not in rules["hosts"]["analytical"]
    assert "ce_ym_uid" in rules["keys"]["marketing"]
    assert "stats.example" in rules["hosts"]["analytical"]
    assert "www.googletagmanager.com" in rules["hosts"]["analytical"]
    assert rules["keys"]["mandatory"] == ["cesession"]


def test_leak_rules_leave_out_pixels_and_unsafe_patterns():
    catalog = {"mandatory": [], "analytical": [item("(a+)+", match="regex"),
                                               item("beacon", storage="pixel")]}
    keys = watcher_rules(catalog)["keys"]["analytical"]
    assert "cr(a+)+" not in keys and not any(key.endswith("beacon") for key in keys)


@pytest.mark.parametrize(("setting", "sample"), [
    (None, DEFAULT_SAMPLE), ({}, DEFAULT_SAMPLE), ({"sample": 0}, 0.0), ({"sample": 1}, 1.0)])
def test_leak_sample_reads_the_row_with_its_default(setting, sample):
    assert leak_sample(SimpleNamespace(leak_reports=setting)) == sample


def test_leak_report_parser_keeps_each_name_once_in_order():
    report = parse_leak_report(json.dumps({
        "site": "shop", "page": "/", "build": "b" * 16, "cookies": ["_ga", "_ga", "_gid"],
        "hosts": ["mc.yandex.ru"]}))
    assert report.leaks == (("cookie", "_ga"), ("cookie", "_gid"), ("host", "mc.yandex.ru"))


def test_leak_report_parser_names_the_field():
    with pytest.raises(IntakeError) as refused:
        parse_leak_report(b'{"site": "shop", "page": "/", "build": "nothex"}')
    assert (refused.value.code, refused.value.field) == ("invalid_field", "build")
