"""Owner regular expressions stay in a subset that cannot stall anything (issue 16 item 1)."""
import pytest
import yaml

from app.sites.catalog import catalog_from_document, item_matches
from app.sites.check import check_site
from app.sites.files import SiteFileError, load_site_file, parse_site_document
from app.sites.patterns import MAX_PATTERN_LENGTH, pattern_problem
from app.sites.schema import SiteSpec
from tests.conftest import valid_site_document

#: Known catastrophic patterns: the one reported against the console, and the classics.
CATASTROPHIC = [
    r"^(?=\w{7}$)((((\w)*)*)*)*!$",
    r"^(a+)+$",
    r"^(\w+\s?)*$",
    r"^([a-zA-Z0-9])(([\-.]|[_]+)?([a-zA-Z0-9]+))*(@)$",
    r"(a|aa)+$",
    r"(.*a){12}",
    r"^(a{1,3})*b",
    r"(x+x+)+y",
]
SAFE = [r"^_ym_", r"^_ga(_[A-Z0-9]+)?$", r"^_hj(Session|Id)_\d+$", r"^(_ga|_gid)$",
        r"^cg_[a-z]+$", r"(?:ab)*c", r"^[a-z]{2,8}_\d{3}$"]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_catastrophic_patterns_are_outside_the_subset(pattern):
    assert pattern_problem(pattern) is not None


@pytest.mark.parametrize("pattern", SAFE)
def test_the_patterns_owners_write_are_inside_it(pattern):
    assert pattern_problem(pattern) is None


@pytest.mark.parametrize(("pattern", "reason"), [
    (r"a(b)\1", "backreference"),
    (r"(?<=_)ga", "lookahead or lookbehind"),
    (r"(?i)_ga", "inline flags"),
    (r"\A_ga\Z", "use ^ and $"),
    (r"(?>a)b", "atomic group"),
    (r"a*+b", "possessive quantifier"),
    ("x" * (MAX_PATTERN_LENGTH + 1), f"longer than {MAX_PATTERN_LENGTH} characters"),
    (r"[", "not a valid regular expression"),
])
def test_each_refusal_says_why(pattern, reason):
    assert reason in pattern_problem(pattern)


def with_pattern(pattern):
    document = valid_site_document()
    document["catalog"]["analytical"][0] = {
        "name": pattern, "match": "regex", "provider": "Yandex LLC", "purpose": "Statistics",
        "lifetime": "1 year"}
    return document


@pytest.mark.parametrize("pattern", CATASTROPHIC[:3])
def test_a_site_file_with_one_is_refused_naming_the_item(tmp_path, pattern):
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(with_pattern(pattern)), encoding="utf-8")
    with pytest.raises(SiteFileError) as error:
        load_site_file(path)
    assert error.value.field == "catalog.analytical[0]"
    assert f"name {pattern!r}" in str(error.value)


def test_a_stored_one_is_read_reported_and_never_run():
    # Stored before the subset existed: readable, so the site keeps working, but never run.
    document = with_pattern(r"^(_\w+)+$")  # today it would match _ym_uid
    catalog = catalog_from_document(document["catalog"])
    item = catalog.analytical[0]
    assert item_matches(item, "_ym_uid") is False
    with pytest.raises(SiteFileError):
        parse_site_document(document, "site.yaml")  # a save is refused
    stored = SiteSpec.model_validate(document, context={"stored": True})
    findings = [finding for finding in check_site(stored) if finding.code == "unsafe-pattern"]
    assert len(findings) == 1 and "catalog.analytical[0].name" in findings[0].message
