"""Legal texts without a database: the generated 152-FZ consent document, supplied texts read
from files, per-language names and links, and the digests a record keeps."""
import hashlib
from types import SimpleNamespace

import pytest

from app.banner.config import document_links, operator_name, site_text_sets
from app.sites.catalog import catalog_document
from app.sites.columns import columns_from
from app.sites.consent_document import generate_consent_document, recipients
from app.sites.documents import CONSENT, POLICY, site_documents
from app.sites.files import SiteFileError, load_site_file, parse_site_document
from app.sites.history import site_document
from tests.conftest import SAMPLE_SITES, valid_site_document

RU_TITLE = "Согласие на обработку персональных данных"
EN_TITLE = "Consent to the processing of personal data"


def ru152_document(**overrides):
    """Return a valid 152-FZ site document with GA4 beside Yandex.Metrica."""
    document = valid_site_document(regime=["ru152"], languages=["ru", "en"],
                                   default_language="ru", **overrides)
    document["operator"] = {**document["operator"], "country": "RU",
                            "legal_name": {"ru": "ООО «Пример»", "en": "Example LLC"}}
    document["catalog"]["marketing"] = [
        {"name": "_ga", "provider": "Google LLC", "purpose": "GA", "lifetime": "2 years"}]
    return document


def as_site(document):
    """Return (site row, catalog version) as the database would hold a validated document."""
    spec = parse_site_document(document, "example.yaml")
    row = SimpleNamespace(**columns_from(site_document(spec)))
    return row, SimpleNamespace(version=1, content=catalog_document(spec.catalog,
                                                                   spec.default_language))


@pytest.fixture
def ru152_site():
    """Factory: a 152-FZ site row and catalog version, with top-level overrides."""
    return lambda **overrides: as_site(ru152_document(**overrides))


def generated(site, catalog_version, language):
    return site_documents(site, catalog_version)[CONSENT][language]


@pytest.mark.parametrize(("language", "title", "expected"), [
    ("ru", RU_TITLE, ["ООО «Пример»", "ИНН / регистрационный номер: 7801234567",
                      "1 Example Street, St. Petersburg", "privacy@example.com", "Yandex LLC (Россия)",
                      "Google LLC (Соединенные Штаты)", "Трансграничная передача",
                      "страны оператора (Россия): Google LLC", "хранится 1095 дн.",
                      "180 дн.", "кнопкой «Настройки cookie»", "обезличивание, блокирование",
                      "Маркетинговые", "IP-адрес"]),
    ("en", EN_TITLE, ["Example LLC", "TIN / registration number: 7801234567",
                      "Yandex LLC (Russia)", "Google LLC (United States)",
                      "outside the operator's country (Russia): Google LLC",
                      "kept for 1095 days", "lasts 180 days", "\"Cookie settings\" button",
                      "by e-mail to privacy@example.com", "depersonalisation, blocking",
                      "Marketing:"]),
])
def test_the_generated_consent_document_names_what_152_fz_requires(ru152_site, language, title,
                                                                   expected):
    text = generated(*ru152_site(), language).text
    assert text.startswith(title + "\n")
    for fragment in expected:
        assert fragment in text, fragment
    # Only analytical and marketing need consent; mandatory cookies are not a purpose here.
    assert ("Функциональные" if language == "ru" else "Functional:") not in text


def test_the_generated_document_is_the_same_bytes_for_the_same_site(ru152_site):
    first, second = generated(*ru152_site(), "ru"), generated(*ru152_site(), "ru")
    assert first.text.encode() == second.text.encode()
    assert first.version == second.version == "gen-" + first.version[4:]
    assert first.generated and len(first.version) == 16


@pytest.mark.parametrize("change", [dict(retention_days=400), dict(consent_lifetime_days=30),
                                    dict(client_ip="hash"), dict(name="Other Shop")])
def test_a_changed_site_makes_a_new_version(ru152_site, change):
    before, after = generated(*ru152_site(), "ru"), generated(*ru152_site(**change), "ru")
    assert before.digest != after.digest and before.version != after.version
    assert generated(*ru152_site(**change), "en").version == after.version


def test_no_cross_border_paragraph_when_every_recipient_is_home(ru152_site):
    site, catalog = ru152_site()
    catalog.content.pop("marketing")
    text = site_documents(site, catalog)[CONSENT]["ru"].text
    assert "Трансграничная передача персональных данных не осуществляется" in text
    assert "Google" not in text and "Yandex LLC (Россия)" in text


def test_a_digest_is_the_sha256_of_the_utf8_bytes(ru152_site):
    legal_text = generated(*ru152_site(), "ru")
    assert legal_text.digest == hashlib.sha256(legal_text.text.encode("utf-8")).hexdigest()


def test_a_site_with_its_own_consent_text_gets_no_generated_one(ru152_site):
    site, catalog = ru152_site(consent_document={"version": "7", "text": {"ru": "Согласие."}})
    consent = site_documents(site, catalog)[CONSENT]
    assert set(consent) == {"ru"} and not consent["ru"].generated
    assert consent["ru"].version == "7" and consent["ru"].text == "Согласие."


def test_a_gdpr_site_with_only_urls_has_no_stored_documents():
    site, catalog = as_site(valid_site_document())
    assert site_documents(site, catalog) == {}


def test_links_and_names_follow_the_visitor_language(ru152_site):
    site, catalog = ru152_site(privacy_policy={
        "version": "1", "url": {"ru": "https://example.com/ru/p", "en": "https://example.com/p"}})
    documents = site_documents(site, catalog)
    assert document_links(site, "en", documents) == {
        "policy": "https://example.com/p", "document": "/documents/example/consent/en"}
    assert document_links(site, "ru", documents)["policy"] == "https://example.com/ru/p"
    assert operator_name(site, "ru") == "ООО «Пример»"
    assert operator_name(site, "en") == "Example LLC"
    texts = site_text_sets(site, catalog)
    assert texts["ru"]["links"]["document"] == "/documents/example/consent/ru"
    assert "ООО «Пример»" in texts["ru"]["intro"] and "Example LLC" in texts["en"]["intro"]
    assert texts["ru"]["consent_document"]


def test_a_supplied_policy_is_linked_on_the_service_and_read_in_another_language(ru152_site):
    site, catalog = ru152_site(privacy_policy={"version": "1", "url": "https://example.com/p",
                                               "text": {"en": "Our policy."}})
    documents = site_documents(site, catalog)
    assert document_links(site, "ru", documents)["policy"] == "/documents/example/policy/ru"
    assert documents[POLICY]["en"].text == "Our policy."


@pytest.mark.parametrize(("change", "field", "problem"), [
    (lambda d: d["operator"].update(country="XX"), "operator.country", "not an ISO 3166-1"),
    (lambda d: d["operator"].update(country="ru"), "operator.country", "not an ISO 3166-1"),
    (lambda d: d["operator"].update(legal_name={"en": "Example LLC"}), None,
     "operator.legal_name has no value in the default language 'ru'"),
    (lambda d: d["operator"].update(legal_name={"ru": "ООО", "de": "GmbH"}), None,
     "operator.legal_name.de: 'de' is not in languages"),
    (lambda d: d["privacy_policy"].update(url={"fr": "https://example.com/fr"}), None,
     "privacy_policy.url.fr: 'fr' is not in languages"),
    (lambda d: d.update(privacy_policy={"version": "1"}), "privacy_policy",
     "give a url, a text or a file"),
    (lambda d: d["privacy_policy"].update(url="ftp://example.com"), "privacy_policy.url",
     "should match pattern"),
])
def test_bad_document_fields_are_named(change, field, problem):
    document = ru152_document()
    change(document)
    with pytest.raises(SiteFileError) as raised:
        parse_site_document(document, "sites/x.yaml")
    assert raised.value.field == field
    assert problem in str(raised.value)
    assert str(raised.value).startswith("sites/x.yaml: ")


def test_a_policy_file_is_read_beside_the_site_file(write_site_file, tmp_path):
    (tmp_path / "policies").mkdir(exist_ok=True)
    (tmp_path / "policies" / "x.ru.txt").write_text("Политика.\n", encoding="utf-8")
    document = ru152_document(privacy_policy={"version": "1",
                                              "file": {"ru": "policies/x.ru.txt"}})
    spec = load_site_file(write_site_file(document))
    assert spec.privacy_policy.text == {"ru": "Политика."}
    assert spec.privacy_policy.file == {"ru": "policies/x.ru.txt"}


@pytest.mark.parametrize(("content", "file", "field", "problem"), [
    (None, "policies/absent.txt", "privacy_policy.file", "policies/absent.txt not found"),
    (b"\xff\xfe bad", "p.txt", "privacy_policy.file", "p.txt is not UTF-8 text"),
    (b"x" * 1_000_001, "p.txt", "privacy_policy.file", "p.txt is larger than 1000000 bytes"),
    (b"  \n", "p.txt", "privacy_policy.file", "p.txt is empty"),
    (None, {"en": "gone.txt"}, "privacy_policy.file.en", "gone.txt not found"),
])
def test_a_bad_policy_file_names_the_site_file_and_the_field(write_site_file, tmp_path, content,
                                                             file, field, problem):
    if content is not None:
        (tmp_path / "p.txt").write_bytes(content)
    path = write_site_file(ru152_document(privacy_policy={"version": "1", "file": file}))
    with pytest.raises(SiteFileError) as raised:
        load_site_file(path)
    assert str(raised.value) == f"{path}: {field}: {problem}"


@pytest.mark.parametrize("site_id", ["flomni", "loginom", "sens"])
def test_the_ru152_samples_get_generated_consent_documents(site_id):
    site, catalog = as_site(site_document(load_site_file(SAMPLE_SITES / f"{site_id}.yaml")))
    documents = site_documents(site, catalog)
    assert documents[CONSENT]["ru"].generated and documents[CONSENT]["ru"].text.startswith(RU_TITLE)
    policy = (SAMPLE_SITES / "policies" / f"{site_id}.en.txt").read_text(encoding="utf-8")
    assert documents[POLICY]["en"].text == policy.strip()


def test_a_ru152_site_lists_no_cross_border_tracker_the_gate_will_not_load(ru152_site):
    site, catalog = ru152_site(trackers={"yandex_metrica": "12345678", "ga4": "G-AB12CD34EF"})
    catalog.content.pop("marketing")
    # GA4 is blocked on a 152-FZ site without a cross-border notice: Google receives nothing.
    assert recipients(site, catalog_from(catalog)) == [("Yandex LLC", "RU")]
    assert "Google" not in generate_consent_document(site, catalog_from(catalog), "en")


def catalog_from(catalog_version):
    from app.sites.catalog import catalog_from_document

    return catalog_from_document(catalog_version.content)


DIGESTS = {("policy", "v1"): {"en": "a" * 64},
           ("consent", "gen-1"): {"ru": "b" * 64, "en": "c" * 64}}


@pytest.mark.parametrize(("language", "policy", "consent"), [
    ("en", "a" * 64, "c" * 64),
    # No Russian policy: the default language's text is what a Russian visitor was pointed to.
    ("ru", "a" * 64, "b" * 64),
])
def test_a_record_keeps_the_digests_of_the_texts_behind_its_versions(sites, ledger, intake,
                                                                     make_report, language,
                                                                     policy, consent):
    sites.add("docs", languages=["en", "ru"], document_digests=DIGESTS)
    intake(make_report(site="docs", language=language, consent_document_version="gen-1"))
    content = ledger.records["docs"][0].content
    assert (content["policy_digest"], content["consent_document_digest"]) == (policy, consent)


def test_a_record_of_a_url_only_site_keeps_no_digest(ledger, intake, make_report):
    intake(make_report())
    content = ledger.records["shop"][0].content
    assert content["policy_digest"] is None and content["consent_document_digest"] is None


def test_the_settings_form_edits_the_default_languages_url_and_keeps_the_others():
    from app.sites.editing import settings_values, with_settings

    document = ru152_document(privacy_policy={
        "version": "1", "url": {"ru": "https://example.com/ru/p", "en": "https://example.com/p"}})
    assert settings_values(document)["privacy_policy_url"] == "https://example.com/ru/p"
    edited = with_settings(document, {"privacy_policy_url": "https://example.com/ru/new"})
    assert edited["privacy_policy"]["url"] == {"ru": "https://example.com/ru/new",
                                               "en": "https://example.com/p"}
    parse_site_document(edited, "console")


def test_an_uploaded_text_replaces_its_languages_file_and_makes_a_new_version():
    from app.sites.editing import with_document_text

    document = ru152_document(privacy_policy={
        "version": "1", "file": {"en": "p.en.txt", "ru": "p.ru.txt"},
        "text": {"en": "Policy.", "ru": "Политика."}})
    first = with_document_text(document, "privacy_policy", "ru", "Новая политика.")
    node = first["privacy_policy"]
    assert node["text"] == {"en": "Policy.", "ru": "Новая политика."}
    assert node["file"] == {"en": "p.en.txt"} and node["version"].startswith("up-")
    second = with_document_text(first, "privacy_policy", "ru", "Ещё одна.")
    assert second["privacy_policy"]["version"] != node["version"]
    created = with_document_text(ru152_document(), "consent_document", "ru", "Согласие.")
    assert created["consent_document"]["text"] == {"ru": "Согласие."}
    assert parse_site_document(created, "console").consent_document.version.startswith("up-")
