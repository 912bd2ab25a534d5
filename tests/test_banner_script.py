"""GET /c/<site>.js: caching, compression, config contents and a harmless 404."""
import gzip
import json

import brotli
import pytest

from app.banner.bundle import read_bundle_config, read_texts_bundle
from app.banner.texts import BANNER_TEXTS, resolve_texts
from app.sites.files import SiteFileError, parse_site_document
from tests.conftest import SAMPLE_SITES, make_test_app

ROOT = SAMPLE_SITES.parent

SHIPPED_LANGUAGES = [
    "bg", "cs", "da", "de", "el", "es", "et", "fi", "fr", "ga", "hr", "hu", "it", "lt", "lv", "mt",
    "nl", "pl", "pt", "ro", "sk", "sl", "sv", "ru", "uk", "kk", "be", "tr", "zh_Hans", "ja", "ar",
    "he",
]


def test_script_is_cacheable_with_a_strong_etag(app, client, samples):
    app.config["PUBLIC_URL"] = "https://consent.example.org"
    first = client.get("/c/familami.js")
    assert first.status_code == 200
    assert first.mimetype == "text/javascript"
    assert first.headers["Cache-Control"].startswith("public, max-age=300")
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith('W/')
    again = client.get("/c/familami.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""


@pytest.mark.parametrize(("accept", "encoding", "decode"), [
    ("gzip, deflate, br", "br", brotli.decompress),
    ("br;q=0, gzip;q=0.8", "gzip", gzip.decompress),
    ("gzip", "gzip", gzip.decompress),
    ("", None, lambda data: data),
])
def test_script_is_compressed_by_negotiation(client, samples, accept, encoding, decode):
    plain = client.get("/c/familami.js", headers={"Accept-Encoding": ""}).data
    response = client.get("/c/familami.js", headers={"Accept-Encoding": accept})
    assert response.headers.get("Content-Encoding") == encoding
    # Familami offers two languages: Accept-Language chooses the texts the script carries.
    assert response.headers["Vary"] == "Accept-Encoding, Accept-Language"
    assert decode(response.data) == plain


def test_unknown_site_gets_a_harmless_404(client):
    response = client.get("/c/<img src=x onerror=alert(1)>.js")
    assert response.status_code == 404
    assert response.mimetype == "text/javascript"
    body = response.get_data(as_text=True)
    assert body.startswith("/*") and body.rstrip().endswith("*/") and "<" not in body


def test_config_carries_versions_trackers_and_texts(client, samples):
    config = read_bundle_config(client.get("/c/familami.js").data)
    assert config["site"] == "familami"
    assert config["versions"] == {"catalog": 1, "policy": "2022-07-05", "document": None}
    assert config["trackers"]["yandex_metrica"]["category"] == "analytical"
    # Basic Consent Mode, the default, goes unsaid.
    assert config["trackers"]["ga4"] == {"id": "G-FAMILAMI01", "category": "analytical"}
    # Familami files _fbp under analytical, so its pixel waits for analytical consent.
    assert config["trackers"]["meta_pixel"]["category"] == "analytical"
    # Only the visitor's language: here the site's default, asked for by no header.
    # The site's codes in one string, the default first (the first script's budget is tight).
    assert config["languages"] == "en ru" and set(config["texts"]) == {"en"}
    # A name that a prefix of its storage covers goes unsaid: cp_ym_ deletes the cookie _ym_uid.
    cleared = set(config["clear"]["analytical"])
    assert {"lp_ym", "sp_ym", "cp_ym_", "cp_ga"} <= cleared
    assert not {"ce_ym_uid", "ce_ga"} & cleared


@pytest.mark.parametrize(("query", "accept_language", "language", "varies"), [
    ("", "ru-RU,ru;q=0.9,en;q=0.8", "ru", True),
    ("", "de-DE, en-GB;q=0.5", "en", True),
    ("", "de, ru;q=0", "en", True),  # q=0 refuses Russian: the site's default
    ("", "", "en", True),
    ("?lang=ru", "en", "ru", False),  # the page named its language: no negotiation
    ("?lang=ru-RU", "", "ru", False),
    ("?lang=xx", "ru", "en", False),  # not offered: the default, whatever the header says
])
def test_the_script_carries_only_the_visitors_language(client, samples, query, accept_language,
                                                        language, varies):
    response = client.get(f"/c/familami.js{query}", headers={"Accept-Language": accept_language,
                                                              "Accept-Encoding": ""})
    config = read_bundle_config(response.data)
    assert set(config["texts"]) == {language}
    assert response.headers["Content-Language"] == language
    assert ("Accept-Language" in response.headers["Vary"]) is varies
    other = {"en": "ru", "ru": "en"}[language]
    texts_path = f"/c/familami/{config['build']}/{config['textsVersion']}/{other}.js"
    served = client.get(texts_path, headers={"Accept-Encoding": ""})
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    fetched = read_texts_bundle(served.data)
    # The other language's first-layer texts, with the digest its reports must name.
    assert fetched["accept_all"] == {"en": "Принять все", "ru": "Accept all"}[language]
    assert fetched["digest"] == read_bundle_config(client.get(
        f"/c/familami.js?lang={other}").data)["texts"][other]["digest"]
    assert "rows" not in fetched


def test_a_one_language_site_does_not_vary_on_accept_language(client, samples):
    response = client.get("/c/oomnis.js", headers={"Accept-Language": "ru"})
    assert response.headers["Vary"] == "Accept-Encoding"
    assert set(read_bundle_config(response.data)["texts"]) == {"en"}


def test_each_language_variant_has_its_own_etag(client, samples):
    english = client.get("/c/familami.js", headers={"Accept-Language": "en"})
    russian = client.get("/c/familami.js", headers={"Accept-Language": "ru"})
    assert english.headers["ETag"] != russian.headers["ETag"]
    again = client.get("/c/familami.js", headers={"Accept-Language": "ru",
                                                  "If-None-Match": english.headers["ETag"]})
    assert again.status_code == 200


def test_texts_of_another_build_version_or_language_are_a_harmless_404(client, samples):
    config = read_bundle_config(client.get("/c/familami.js").data)
    build, version = config["build"], config["textsVersion"]
    for path in (f"/c/familami/0123456789abcdef/{version}/ru.js",  # a stale banner's build
                 f"/c/familami/{build}/{'0' * 16}/ru.js",  # texts from before a site change
                 f"/c/familami/{build}/{version}/de.js",  # a language the site does not offer
                 f"/c/nosuchsite/{build}/{version}/ru.js"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["Cache-Control"] == "no-store"
        assert response.get_data(as_text=True).startswith("/*")


def test_a_site_change_changes_the_texts_version(client, runner, write_site_file):
    document = json.loads(json.dumps(__import__("yaml").safe_load(
        (SAMPLE_SITES / "familami.yaml").read_text())))
    path = write_site_file(document, name="familami.yaml")
    runner.invoke(args=["sites", "import", str(path)])
    before = read_bundle_config(client.get("/c/familami.js").data)
    document["texts"] = {"ru": {"title": "Новый заголовок"}}
    write_site_file(document, name="familami.yaml")
    runner.invoke(args=["sites", "import", str(path)])
    after = read_bundle_config(client.get("/c/familami.js").data)
    assert after["textsVersion"] != before["textsVersion"]
    stale = f"/c/familami/{before['build']}/{before['textsVersion']}/ru.js"
    assert client.get(stale).status_code == 404
    fresh = client.get(f"/c/familami/{after['build']}/{after['textsVersion']}/ru.js")
    assert read_texts_bundle(fresh.data)["title"] == "Новый заголовок"


#: Five languages, as bench/banner.py measures them beside vanilla-cookieconsent.
FIVE_LANGUAGES = ["en", "de", "fr", "es", "ru"]


#: Bytes a site's language code adds to the first script beyond five: the code, in one string.
BYTES_PER_FURTHER_LANGUAGE = 3


@pytest.mark.parametrize("languages", [["en"], FIVE_LANGUAGES, ["en", *SHIPPED_LANGUAGES]],
                         ids=["1", "5", "every"])
def test_bytes_before_visible_stay_under_6000_gzip_with_more_languages(
        client, runner, write_site_file, languages):
    document = __import__("yaml").safe_load((ROOT / "bench" / "shop.yaml").read_text())
    document["languages"] = [code.replace("_", "-") for code in languages]
    runner.invoke(args=["sites", "import", str(write_site_file(document, name="shop.yaml"))])
    body = client.get("/c/shop.js", headers={"Accept-Encoding": ""}).data
    config = read_bundle_config(body)
    assert set(config["texts"]) == {"en"} and len(config["languages"].split()) == len(languages)
    # The target is for the texts of one language: up to five languages it holds as it is; a
    # site with more carries each further code, and nothing else of those languages.
    further = max(0, len(set(languages)) - 5)
    assert len(gzip.compress(body, compresslevel=9)) <= 6000 + BYTES_PER_FURTHER_LANGUAGE * further


def test_config_changes_when_the_catalog_does(client, runner, write_site_file):
    document = json.loads(json.dumps(__import__("yaml").safe_load(
        (SAMPLE_SITES / "flomni.yaml").read_text())))
    path = write_site_file(document, name="flomni.yaml")
    runner.invoke(args=["sites", "import", str(path)])
    before = client.get("/c/flomni.js")
    document["catalog"]["analytical"][0]["lifetime"] = "1 year"
    write_site_file(document, name="flomni.yaml")
    runner.invoke(args=["sites", "import", str(path)])
    after = client.get("/c/flomni.js", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert read_bundle_config(after.data)["versions"]["catalog"] == 2


#: Words that are the same in English and some other languages ("Marketing", German "Name").
SAME_IN_ENGLISH = ("category_marketing", "column_name")


@pytest.fixture(scope="module")
def texts_app(tmp_path_factory):
    """An app for rendering texts; it never touches its database."""
    folder = tmp_path_factory.mktemp("texts")
    return make_test_app(f"sqlite:///{folder / 'unused.sqlite3'}", folder / "instance")


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_every_shipped_language_translates_every_banner_text(texts_app, language):
    with texts_app.app_context():
        english = resolve_texts("en", "ACME")
        translated = resolve_texts(language.replace("_", "-"), "ACME")
    untranslated = [key for key in BANNER_TEXTS
                    if translated[key] == english[key] and key not in SAME_IN_ENGLISH]
    assert untranslated == []
    assert "ACME" in translated["intro"]
    assert translated["settings_title"] in translated["settings_intro"]


def test_site_text_overrides_are_validated(site_document):
    with pytest.raises(SiteFileError, match="texts.en.titel: not a banner text key"):
        parse_site_document(site_document(texts={"en": {"titel": "Hi"}}), "x.yaml")
    with pytest.raises(SiteFileError, match="texts.de: 'de' is not in languages"):
        parse_site_document(site_document(texts={"de": {"title": "Hallo"}}), "x.yaml")


def _deferred_path(config, language="en"):
    """Return the path of the deferred part a banner with this config asks for."""
    url = config["deferredUrl"] + config["texts"][language]["digest"] + ".js"
    return url.removeprefix("http://localhost")


def _deferred_payload(body):
    """Return the payload (CSS and texts) inside an uncompressed deferred part."""
    start = body.rindex(b"\n,") + 2
    return json.loads(body[start:body.rindex(b")})(document.currentScript)")])


def test_deferred_part_is_content_hashed_and_immutable(client, samples):
    config = read_bundle_config(client.get("/c/familami.js").data)
    path = _deferred_path(config)
    # Its URL names the build (code and CSS of both scripts) and the digest of the texts.
    assert path == f"/c/familami/{config['build']}/{config['texts']['en']['digest']}.js"
    response = client.get(path, headers={"Accept-Encoding": ""})
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    again = client.get(path, headers={"Accept-Encoding": "", "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    compressed = client.get(path, headers={"Accept-Encoding": "gzip, br"})
    assert compressed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(compressed.data) == response.data


@pytest.mark.parametrize("cookie", ["", "cg_consent=anything"])
def test_script_sends_no_preload_link_for_the_deferred_part(client, samples, cookie):
    # Browsers ignore preload Link headers on scripts, and the site's consent cookie never
    # reaches this host; README (Embedding) says why no header is sent.
    response = client.get("/c/familami.js", headers={"Cookie": cookie} if cookie else {})
    assert response.status_code == 200
    assert "Link" not in response.headers


def test_texts_are_split_between_the_two_scripts_and_keep_one_digest(client, samples):
    config = read_bundle_config(client.get("/c/familami.js").data)
    first = config["texts"]["en"]
    deferred = _deferred_payload(client.get(_deferred_path(config)).data)
    assert "rows" not in first and "settings_intro" not in first and "blocked_content" not in first
    assert set(deferred["texts"]) >= {"rows", "settings_intro", "save", "blocked_content", "allow"}
    assert not set(first) & set(deferred["texts"])
    assert "table" in deferred["css"] and "table" not in config["css"]
    # The digest, which proofs record, still covers every text the visitor can see.
    texts = {**first, **deferred["texts"]}
    digest = texts.pop("digest")
    from app.ledger.proof import texts_digest

    assert texts_digest("familami", "en", texts) == digest


def test_deferred_part_of_another_build_or_text_set_is_a_harmless_404(client, samples):
    config = read_bundle_config(client.get("/c/familami.js").data)
    digest = config["texts"]["en"]["digest"]
    other = read_bundle_config(client.get("/c/flomni.js").data)["texts"]["ru"]["digest"]
    for path in (f"/c/familami/0123456789abcdef/{digest}.js",  # another build: a stale banner
                 f"/c/familami/{config['build']}/{'0' * 64}.js",  # a text set never served
                 f"/c/familami/{config['build']}/{other}.js",  # another site's text set
                 f"/c/familami/{config['build']}/not-a-digest.js"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["Cache-Control"] == "no-store"
        body = response.get_data(as_text=True)
        assert body.startswith("/*") and body.rstrip().endswith("*/")


def test_deferred_part_matches_its_banner_after_the_catalog_changed(client, runner,
                                                                    write_site_file):
    document = json.loads(json.dumps(__import__("yaml").safe_load(
        (SAMPLE_SITES / "flomni.yaml").read_text())))
    path = write_site_file(document, name="flomni.yaml")
    runner.invoke(args=["sites", "import", str(path)])
    old = _deferred_path(read_bundle_config(client.get("/c/flomni.js").data), "ru")
    old_rows = _deferred_payload(client.get(old).data)["texts"]["rows"]
    document["catalog"]["analytical"][0]["lifetime"] = "1 year"
    write_site_file(document, name="flomni.yaml")
    runner.invoke(args=["sites", "import", str(path)])
    new = _deferred_path(read_bundle_config(client.get("/c/flomni.js").data), "ru")
    assert new != old
    # A banner still cached from before the change gets the rows it was built with.
    assert _deferred_payload(client.get(old).data)["texts"]["rows"] == old_rows
    assert _deferred_payload(client.get(new).data)["texts"]["rows"] != old_rows
