"""The benchmark's peer config says what our banner says, in every language of the site."""
import json

from bench.peer import config_script

TEXTS = {"title": "T", "intro": "Shop LLC uses cookies:", "accept_all": "A", "reject_all": "R",
         "settings": "S", "privacy_policy": "P", "settings_title": "ST", "save": "V",
         "close": "C", "settings_intro": "SI", "category_mandatory": "M",
         "category_analytical": "An", "category_marketing": "Ma", "about_mandatory": "aM",
         "about_analytical": "aAn", "about_marketing": "aMa"}


def test_peer_config_carries_every_language_in_our_texts():
    german = {**TEXTS, "title": "Wir schätzen Ihre Privatsphäre"}
    body = config_script({"en": TEXTS, "de": german}, "en", "https://shop.test/privacy").decode()
    config = json.loads(body.removeprefix("CookieConsent.run(").removesuffix(");"))
    translations = config["language"]["translations"]
    assert sorted(translations) == ["de", "en"]
    assert translations["de"]["consentModal"]["title"] == "Wir schätzen Ihre Privatsphäre"
    first = translations["en"]["consentModal"]
    assert first["description"] == "Shop LLC uses cookies: An, Ma."
    assert first["footer"] == '<a href="https://shop.test/privacy">P</a>'
    sections = translations["en"]["preferencesModal"]["sections"]
    assert [section.get("linkedCategory") for section in sections] == [
        None, "necessary", "analytics", "marketing"]
    assert sections[2]["description"] == "aAn"
