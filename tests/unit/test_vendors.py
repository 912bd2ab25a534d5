"""Who the first layer names per category, and which vendor changes ask visitors again."""
from datetime import UTC, datetime, timedelta

import pytest

from app.sites.catalog import catalog_from_document
from app.sites.vendors import (
    Vendor,
    category_vendors,
    operator_country,
    provider_country,
    provider_key,
    vendor_additions,
)
from tests.conftest import valid_site_document

GA_ITEM = {"name": "_ga", "match": "prefix", "provider": "Google LLC", "purpose": "Statistics",
           "lifetime": "2 years"}
ZOHO_ITEM = {"name": "zsiq", "match": "prefix", "provider": "Zoho Inc.", "purpose": "Chat",
             "lifetime": "1 year"}
PIXEL_ITEM = {"name": "_fbp", "provider": "Meta Platforms, Inc.", "purpose": "Ads",
              "lifetime": "90 days"}


def document_with(trackers=None, analytical=(), marketing=None, regime=("gdpr",), **extra):
    base = valid_site_document()
    catalog = {**base["catalog"], "analytical": [*base["catalog"]["analytical"], *analytical]}
    if marketing is not None:
        catalog["marketing"] = list(marketing)
    return valid_site_document(trackers=trackers or {"yandex_metrica": "12345678"},
                               catalog=catalog, regime=list(regime), **extra)


def vendors_of(document):
    catalog = catalog_from_document(document["catalog"])
    return category_vendors(document["trackers"], document["regime"], catalog,
                            document.get("cross_border_notice"))


@pytest.mark.parametrize(("name", "key", "country"), [
    ("Google LLC", "google", "US"),
    ("Google Inc.", "google", "US"),
    ("Meta Platforms, Inc.", "meta platforms", "US"),
    ("Yandex LLC", "yandex", "RU"),
    ("Zoho Inc.", "zoho", "US"),
    ("Acme Analytics GmbH", "acme analytics", None),
])
def test_providers_are_known_by_their_company_not_its_legal_form(name, key, country):
    assert provider_key(name) == key
    assert provider_country(name) == country


def test_trackers_come_first_and_catalog_providers_are_not_repeated():
    document = document_with({"yandex_metrica": "12345678", "ga4": "G-ABCDEF1234"},
                             analytical=[GA_ITEM, ZOHO_ITEM])
    assert vendors_of(document)["analytical"] == [
        Vendor("Yandex LLC", "Yandex.Metrica", "RU"),
        Vendor("Google LLC", "Google Analytics 4", "US"),
        Vendor("Zoho Inc.", None, "US"),
    ]


def test_a_ru152_site_without_the_cross_border_notice_names_no_vendor_it_holds_back():
    trackers = {"yandex_metrica": "12345678", "ga4": "G-ABCDEF1234", "meta_pixel": "123456789012"}
    held = document_with(trackers, analytical=[GA_ITEM], marketing=[PIXEL_ITEM],
                         regime=("ru152",))
    assert vendors_of(held) == {"analytical": [Vendor("Yandex LLC", "Yandex.Metrica", "RU")],
                                "marketing": []}
    filed = {**held, "cross_border_notice": {"filed": "2025-06-01"}}
    assert [vendor.service for vendor in vendors_of(filed)["analytical"]] == [
        "Yandex.Metrica", "Google Analytics 4"]
    assert vendors_of(filed)["marketing"] == [Vendor("Meta Platforms, Inc.", "Meta pixel", "US")]


@pytest.mark.parametrize(("declared", "regime", "country"), [
    ("SI", ["gdpr"], "SI"), (None, ["ru152"], "RU"), (None, ["gdpr"], None),
])
def test_the_operators_country_defaults_to_russia_only_under_152_fz(declared, regime, country):
    assert operator_country(declared, regime) == country


def revisions(*documents):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [(start + timedelta(days=number), document) for number, document in enumerate(documents)]


def test_a_vendor_added_to_a_category_is_dated_from_the_revision_that_added_it():
    first = document_with()
    second = document_with({"yandex_metrica": "12345678", "ga4": "G-ABCDEF1234"})
    history = revisions(first, second)
    # Counted by its service and by its company, which the catalog had not named either.
    assert vendor_additions(history) == {"analytical": {"Google Analytics 4": history[1][0],
                                                        "google": history[1][0]}}


def test_a_tracker_whose_company_the_catalog_named_still_asks_again():
    first = document_with(analytical=[GA_ITEM])
    history = revisions(first, document_with({"yandex_metrica": "12345678", "ga4": "G-ABCDEF1234"},
                                             analytical=[GA_ITEM]))
    assert vendor_additions(history) == {"analytical": {"Google Analytics 4": history[1][0]}}


@pytest.mark.parametrize("change", ["text", "removal", "same vendor, new cookie",
                                    "tracker removed, its cookies kept"])
def test_changes_that_add_no_vendor_ask_no_one_again(change):
    first = document_with({"yandex_metrica": "12345678", "ga4": "G-ABCDEF1234"})
    if change == "text":
        later = document_with({"yandex_metrica": "12345678", "ga4": "G-ABCDEF1234"},
                              texts={"en": {"title": "Cookies here"}})
    elif change == "removal":
        later = document_with()
    elif change == "same vendor, new cookie":
        later = document_with({"yandex_metrica": "12345678", "ga4": "G-ABCDEF1234"},
                              analytical=[GA_ITEM])
    else:
        first = document_with({"yandex_metrica": "12345678", "ga4": "G-ABCDEF1234"},
                              analytical=[GA_ITEM])
        later = document_with(analytical=[GA_ITEM])
    assert vendor_additions(revisions(first, later)) == {"analytical": {}}


def test_a_vendor_that_left_and_came_back_counts_from_its_return():
    with_ga = document_with({"yandex_metrica": "12345678", "ga4": "G-ABCDEF1234"})
    history = revisions(with_ga, document_with(), with_ga)
    assert set(vendor_additions(history)["analytical"].values()) == {history[2][0]}


def test_a_revision_the_schema_no_longer_reads_is_skipped():
    broken = {"catalog": {"analytical": "not a list"}}
    later = document_with({"yandex_metrica": "12345678", "ga4": "G-ABCDEF1234"})
    history = revisions(document_with(), broken, later)
    assert set(vendor_additions(history)["analytical"]) == {"Google Analytics 4", "google"}
