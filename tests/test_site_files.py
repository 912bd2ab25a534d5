"""Site files: valid ones load, invalid ones are refused with the file and field named."""
import pytest

from app.sites.files import SiteFileError, load_site_file
from app.sites.lifetimes import normalize_lifetime


def test_site_file_yaml_loads(write_site_file, site_document):
    spec = load_site_file(write_site_file(site_document()))
    assert spec.id == "example"
    assert spec.catalog.analytical[0].lifetime == "1 year"
    assert spec.refusal_days == 180


def test_site_file_toml_loads_the_same_spec(write_site_file, site_document):
    from_yaml = load_site_file(write_site_file(site_document()))
    from_toml = load_site_file(write_site_file(site_document(), name="example.toml"))
    assert from_toml == from_yaml


def _catalog_item(**changes):
    item = {"name": "_ga", "provider": "Google LLC", "purpose": "Statistics", "lifetime": "2 years"}
    item.update(changes)
    return item


def _with_analytical(site_document, **changes):
    document = site_document()
    document["catalog"]["analytical"] = [_catalog_item(**changes)]
    return document


@pytest.mark.parametrize(("change", "field", "problem"), [
    (lambda d: d.pop("name"), "name", "is required"),
    (lambda d: d.update(colour="red"), "colour", "is not a known field"),
    (lambda d: d.update(id="Not A Slug"), "id", "should match pattern"),
    (lambda d: d.update(origins=["http://example.com"]), "origins", "must use https"),
    (lambda d: d.update(origins=["https://example.com/path"]), "origins", "is not an origin"),
    (lambda d: d.update(origins=[]), "origins", "at least 1 item"),
    (lambda d: d.update(languages=["en", "xx-nope"]), "languages[1]", "not a known language"),
    (lambda d: d.update(default_language="de"), None, "default_language 'de' is not in languages"),
    (lambda d: d.update(regime=["ccpa"]), "regime[0]", "'ru152' or 'gdpr'"),
    (lambda d: d.update(consent_lifetime_days=0), "consent_lifetime_days", "greater than or equal to 1"),
    (lambda d: d.update(refusal_lifetime_days=365), None, "must not exceed consent_lifetime_days"),
    (lambda d: d["operator"].update(email="not-an-email"), "operator.email", "email address"),
    (lambda d: d["trackers"].update(ga4="UA-1234-1"), "trackers.ga4", "should match pattern"),
    (lambda d: d["trackers"].update(yandex_metrica="abc"), "trackers.yandex_metrica", "pattern"),
    (lambda d: d["privacy_policy"].pop("version"), "privacy_policy.version", "is required"),
    (lambda d: d["catalog"].pop("mandatory"), "catalog.mandatory", "is required"),
    (lambda d: d["catalog"].update(social=[]), "catalog.social", "is not a known field"),
])
def test_site_file_invalid_field_is_named(write_site_file, site_document, change, field, problem):
    document = site_document()
    change(document)
    path = write_site_file(document)
    with pytest.raises(SiteFileError) as raised:
        load_site_file(path)
    assert raised.value.field == field
    assert problem in raised.value.problem
    assert str(raised.value).startswith(str(path))


@pytest.mark.parametrize(("item_change", "field", "problem"), [
    ({"lifetime": "2 fortnights"}, "catalog.analytical[0].lifetime", "is not 'session'"),
    ({"lifetime": "0 days"}, "catalog.analytical[0].lifetime", "longer than zero"),
    ({"match": "glob"}, "catalog.analytical[0].match", "'exact', 'prefix' or 'regex'"),
    ({"match": "regex", "name": "_ga("}, "catalog.analytical[0]", "not a valid regular expression"),
    ({"storage": "indexedDB"}, "catalog.analytical[0].storage", "'localStorage'"),
    ({"provider": ""}, "catalog.analytical[0].provider", "at least 1 character"),
    ({"domain": "not a domain"}, "catalog.analytical[0].domain", "is not a domain name"),
    ({"purpose": {"ru": "Статистика"}}, None, "has no text in the default language 'en'"),
    ({"purpose": {"en": "Stats", "zz-bad": "?"}}, "catalog.analytical[0].purpose.zz-bad", "not a known"),
])
def test_site_file_invalid_catalog_item_is_named(
        write_site_file, site_document, item_change, field, problem):
    path = write_site_file(_with_analytical(site_document, **item_change))
    with pytest.raises(SiteFileError) as raised:
        load_site_file(path)
    assert raised.value.field == field
    assert problem in raised.value.problem


@pytest.mark.parametrize(("name", "raw", "problem"), [
    ("broken.yaml", "id: x\n  name: [unclosed\n", "invalid YAML: line 2"),
    ("broken.toml", "id = \n", "invalid TOML"),
    ("list.yaml", "- just\n- a list\n", "must hold a mapping"),
    ("empty.yaml", "", "must hold a mapping"),
    ("site.json", "{}", "must end in .yaml, .yml or .toml"),
])
def test_site_file_unreadable_is_refused(write_site_file, name, raw, problem):
    path = write_site_file(name=name, raw=raw)
    with pytest.raises(SiteFileError, match=problem):
        load_site_file(path)


def test_site_file_missing_is_refused(tmp_path):
    with pytest.raises(SiteFileError, match="No such file"):
        load_site_file(tmp_path / "absent.yaml")


@pytest.mark.parametrize(("written", "canonical"), [
    ("session", "session"), ("Session", "session"), ("persistent", "persistent"),
    ("1 day", "1 day"), ("2 days", "2 days"), ("1 years", "1 year"), ("30 minute", "30 minutes"),
    ("400 DAYS", "400 days"),
])
def test_lifetime_is_normalized(written, canonical):
    assert normalize_lifetime(written) == canonical
