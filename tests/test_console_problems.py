"""Every way a site document can be wrong reads in the console's language, not in English."""
import pytest
from flask_babel import force_locale

from app.console.problems import describe
from app.sites.files import SiteFileError, parse_site_document
from tests.conftest import valid_site_document


def _with_item(**changes):
    document = valid_site_document()
    document["catalog"]["analytical"][0].update(changes)
    return document


def _with(**overrides):
    return valid_site_document(**overrides)


@pytest.mark.parametrize("document, russian", [
    (_with_item(name="(a+)+$"), "квантификатор"),
    (_with_item(name="(ab|cd)*e"), "[ab]*"),
    (_with_item(name="(?i)_ym"), "(?i)"),
    (_with_item(name=r"\A_ym"), "^ и $"),
    (_with_item(name=r"(_ym)\1"), "обратную ссылку"),
    (_with_item(name="_ym" * 200), "Не более 200"),
    (_with_item(name="_ym("), "Недопустимое регулярное выражение"),
    (_with_item(lifetime="forever"), "не срок хранения"),
    (_with_item(lifetime="0 days"), "больше нуля"),
    (_with_item(domain="not a domain"), "не доменное имя"),
    (_with_item(purpose={"ru": "Только по-русски"}), "на языке по умолчанию"),
    (_with(texts={"de": {"title": "Kekse"}}), "не входит в языки сайта"),
    (_with(texts={"en": {"no_such_text": "?"}}), "не показывает"),
], ids=lambda value: value if isinstance(value, str) else "")
def test_site_problems_read_in_russian(app, document, russian):
    with pytest.raises(SiteFileError) as raised:
        parse_site_document(document, "console")
    with app.test_request_context(), force_locale("ru"):
        field, message = describe(raised.value)
    assert russian in message, (raised.value.problem, message)
    assert "Не принято" not in message, "fell through to the English detail"
    assert field, raised.value.problem
