"""Site files that would blow up are refused, with the file and the reason (issue 16 item 2)."""
import pytest
import yaml

from app.sites.files import (
    MAX_EXPANDED_VALUES,
    MAX_SITE_FILE_BYTES,
    MAX_YAML_ALIASES,
    SiteFileError,
    load_site_file,
)
from app.sites.schema import MAX_ITEMS_PER_CATEGORY
from tests.conftest import valid_site_document

ITEM = {"name": "x", "provider": "first_party", "purpose": "p", "lifetime": "1 day"}


def alias_flood(count):
    """The attack as reported: one anchored purpose, used count times (well under the size cap)."""
    return ("purposes: [&p {en: Long purpose text, ru: Длинный текст}]\n"
            f"many: [{', '.join(['*p'] * count)}]\n")


def laughs(levels, width):
    """Nested aliases: few of them, but each level multiplies the one below."""
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels + 1):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("content", "problem"), [
    (alias_flood(20_000), f"more than {MAX_YAML_ALIASES} YAML aliases"),
    (laughs(9, 9), f"expands to more than {MAX_EXPANDED_VALUES} values"),
    ("loop: &loop [*loop]\n", f"expands to more than {MAX_EXPANDED_VALUES} values"),
    ("name: " + "x" * MAX_SITE_FILE_BYTES + "\n", f"larger than {MAX_SITE_FILE_BYTES} bytes"),
])
def test_a_file_that_would_blow_up_is_refused_naming_it(tmp_path, content, problem):
    path = tmp_path / "bomb.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SiteFileError) as error:
        load_site_file(path)
    assert str(error.value).startswith(f"{path}: ")
    assert problem in str(error.value)


def test_a_few_aliases_are_still_fine(tmp_path):
    document = yaml.safe_dump(valid_site_document())
    path = tmp_path / "site.yaml"
    path.write_text(document.replace("  analytical:\n", "  analytical:\n  - &shared\n"
                                     "    {name: a, provider: first_party, purpose: p}\n"
                                     "  - *shared\n", 1), encoding="utf-8")
    assert load_site_file(path).catalog.analytical[0].name == "a"


def test_a_category_has_a_bounded_number_of_items(tmp_path):
    document = valid_site_document()
    document["catalog"]["analytical"] = [{**ITEM, "name": f"c{n}"}
                                         for n in range(MAX_ITEMS_PER_CATEGORY + 1)]
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(SiteFileError) as error:
        load_site_file(path)
    assert error.value.field == "catalog.analytical"
    assert f"at most {MAX_ITEMS_PER_CATEGORY} items" in str(error.value)
