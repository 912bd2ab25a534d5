"""Which banner code is served: the minified file only while it was made from the source."""
import hashlib

import pytest

from app.banner import bundle
from app.banner.clearing import without_covered
from app.banner.config import first_layer_texts


@pytest.fixture
def files(tmp_path):
    source, built = tmp_path / "gate.js", tmp_path / "gate.min.js"
    source.write_text("function consentGate(CONFIG, SCRIPT) {\n  return 1;\n}\n")
    return source, built


def _build(source, built, code="function consentGate(n,t){return 1}"):
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    built.write_text(f"/* consent-gate source sha256:{digest} */\n{code}\n")


def test_the_minified_file_is_served_when_it_was_made_from_the_source(files):
    source, built = files
    _build(source, built)
    assert bundle._code(built, source) == "function consentGate(n,t){return 1}"


@pytest.mark.parametrize("situation", ["missing", "source edited", "no header"])
def test_otherwise_the_source_is_served_whatever_the_file_times(files, situation):
    source, built = files
    if situation == "source edited":
        _build(source, built)
        source.write_text(source.read_text().replace("return 1", "return 2"))
    elif situation == "no header":
        built.write_text("function consentGate(n,t){return 9}\n")
    # A minified file newer than its source by time says nothing about its content.
    if built.exists():
        built.touch()
    assert bundle._code(built, source) == source.read_text().strip()


def test_a_bundle_calls_the_gate_with_its_config():
    body = bundle.build_bundle({"site": "shop", "note": "</script>"}).body
    assert body.startswith(b"(") and b"\n)(" in body
    assert bundle.read_bundle_config(body) == {"site": "shop", "note": "</script>"}
    assert b"</script>" not in body


@pytest.mark.parametrize(("patterns", "kept"), [
    # A prefix covers the exact names and the longer prefixes of its own storage...
    (["cp_ym_", "ce_ym_uid", "cp_ym_d", "ce_ga"], ["cp_ym_", "ce_ga"]),
    # ...and nothing in another storage.
    (["cp_ym", "le_ym_uid", "se_ym_x"], ["cp_ym", "le_ym_uid", "se_ym_x"]),
    # A regular expression is kept, and covers nothing.
    (["cr^_ga_", "cp_ga", "ce_ga_X"], ["cr^_ga_", "cp_ga"]),
    # Repeats go, the order stays.
    (["ce_b", "ce_a", "ce_b"], ["ce_b", "ce_a"]),
])
def test_clear_patterns_drop_what_a_prefix_covers(patterns, kept):
    assert without_covered(patterns) == kept


@pytest.mark.parametrize(("language", "direction"), [
    ("ar", "rtl"), ("he", "rtl"), ("fa", "rtl"), ("ur", "rtl"), ("ps", "rtl"), ("ar-EG", "rtl"),
    ("en", None), ("pt-BR", None), ("zh-Hans", None), ("ru", None), ("xx", None),
])
def test_first_layer_texts_mark_right_to_left_languages(language, direction):
    texts = {"title": "T", "save": "S", "digest": "d"}
    first = first_layer_texts(texts, language)
    assert first.get("dir") == direction
    assert "save" not in first and first["digest"] == "d"
    assert "dir" not in texts  # the text set and its digest stay as they are
