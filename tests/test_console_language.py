"""The console speaks the user's chosen language, else the browser's, else English."""
import pytest

from tests.conftest import login

SKIP_LINK = {"en": "Skip to content", "ru": "Перейти к содержимому"}


@pytest.mark.parametrize(("browser", "setting", "expected"), [
    ("ru-RU,ru;q=0.9,en;q=0.5", None, "ru"),
    ("de-DE,de;q=0.9", None, "en"),
    ("ru-RU,ru;q=0.9", "en", "en"),
    ("en-GB,en;q=0.9", "ru", "ru"),
])
def test_console_language_follows_the_setting_then_the_browser(client, make_user, browser, setting,
                                                               expected):
    email = make_user("auditor")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = browser
    login(client, email)
    if setting:
        response = client.post("/console/account",
                               data={"lang-language": setting, "lang-submit": "Save"})
        assert response.status_code == 302
    page = client.get("/console/").get_data(as_text=True)
    assert SKIP_LINK[expected] in page
    assert f'lang="{expected}"' in page


def test_the_login_page_follows_the_browser(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ru"
    assert "Войти" in client.get("/console/login").get_data(as_text=True)


def test_no_catalog_carries_a_guessed_translation():
    # pybabel's fuzzy matches are guesses from near strings ("intact" as "Contact"); they are
    # neither compiled nor kept.
    from pathlib import Path

    catalogs = sorted(Path(__file__).resolve().parent.parent.glob("translations/*/LC_MESSAGES/*.po"))
    assert catalogs
    fuzzy = [path.parent.parent.name for path in catalogs
             if any(line.startswith("#,") and "fuzzy" in line
                    for line in path.read_text(encoding="utf-8").splitlines())]
    assert fuzzy == []
