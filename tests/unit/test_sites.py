"""Site files, columns and the built-in tracker table, without a database."""
import copy
from types import SimpleNamespace

import pytest

from app.sites.catalog import catalog_document, content_hash, item_matches, tracker_categories
from app.sites.columns import columns_from, document_from, setting_columns
from app.sites.files import SiteFileError, load_site_file, parse_site_document, site_files
from app.sites.history import site_document
from app.sites.schema import CatalogItem, MatchKind, Trackers
from app.sites.trackers import TRACKERS
from tests.conftest import SAMPLE_SITES, TEST_SHOP

SAMPLES = [*site_files(SAMPLE_SITES), TEST_SHOP]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.stem)
def test_a_site_survives_the_trip_to_its_columns_and_back(path):
    spec = load_site_file(path)
    document = site_document(spec)
    row = SimpleNamespace(**columns_from(document))
    back = {**document_from(row), "catalog": document["catalog"]}
    assert parse_site_document(back, "row") == spec


def test_every_setting_has_a_column_of_its_site_file_name():
    columns = set(setting_columns())
    assert {"regime", "gpc", "client_ip", "trackers", "texts", "operator_legal_name",
            "privacy_policy_url", "consent_document_version"} <= columns
    assert not columns & {"regimes", "gpc_mode", "ip_mode", "text_overrides",
                          "yandex_metrica_id", "ga4_measurement_id", "meta_pixel_id"}


def test_the_tracker_fields_of_a_site_file_come_from_the_tracker_table():
    assert set(Trackers.model_fields) == set(TRACKERS)
    for name, tracker in TRACKERS.items():
        assert Trackers.model_fields[name].default is None, name
        assert tracker.default_category in ("analytical", "marketing")


@pytest.mark.parametrize(("tracker", "value", "valid"), [
    ("yandex_metrica", "12345678", True), ("yandex_metrica", "12ab", False),
    ("ga4", "G-ABCD1234", True), ("ga4", "UA-1234-1", False),
    ("meta_pixel", "1234567890123", True), ("meta_pixel", "pixel", False),
])
def test_tracker_ids_are_checked_by_their_declared_pattern(site_document, tracker, value, valid):
    document = site_document()
    document["trackers"] = {tracker: value}
    if valid:
        assert parse_site_document(document, "x.yaml").trackers.as_dict() == {tracker: value}
    else:
        with pytest.raises(SiteFileError) as caught:
            parse_site_document(document, "x.yaml")
        assert caught.value.field == f"trackers.{tracker}"


def test_a_catalog_hash_ignores_key_order_and_sees_every_change():
    spec = load_site_file(TEST_SHOP)
    document = catalog_document(spec.catalog, spec.default_language)
    reordered = {key: document[key] for key in reversed(list(document))}
    assert content_hash(reordered) == content_hash(document)
    changed = copy.deepcopy(document)
    changed["analytical"][0]["lifetime"] = "2 years"
    assert content_hash(changed) != content_hash(document)


@pytest.mark.parametrize(("match", "name", "key", "covers"), [
    ("exact", "_ga", "_ga", True), ("exact", "_ga", "_ga_X", False),
    ("prefix", "_ga", "_ga_X", True), ("prefix", "_ga*", "_ga_X", True),
    ("prefix", "_gid", "_ga", False), ("regex", "^_ym\\d+$", "_ym42", True),
    ("regex", "^_ym\\d+$", "_ym_uid", False),
])
def test_catalog_items_cover_keys_by_their_match(match, name, key, covers):
    item = CatalogItem(name=name, match=MatchKind(match), storage="cookie",
                       provider="first_party", purpose="x", lifetime="1 year")
    assert item_matches(item, key) is covers


def test_a_tracker_waits_for_the_category_its_anchor_cookie_is_filed_under():
    spec = load_site_file(TEST_SHOP)
    found = tracker_categories(spec.trackers.as_dict(), spec.catalog)
    assert set(found) == set(spec.trackers.enabled())
    assert "mandatory" not in found.values()
    assert found["meta_pixel"] in ("marketing", "analytical")
