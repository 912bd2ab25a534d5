"""Banner texts, translated per language with the site owner's overrides applied."""
from flask_babel import force_locale, gettext

from app.sites.gate_storage import GATE_STORAGE
from app.sites.texts import BANNER_TEXTS

CATEGORIES = ("mandatory", "functional", "analytical", "marketing")


def resolve_texts(language, operator, overrides=None):
    """Return every banner text in one language, with the site owner's overrides applied."""
    with force_locale(language.replace("-", "_")):
        texts = {key: gettext(message) for key, message in BANNER_TEXTS.items()}
        texts["gate_purposes"] = {key.name: gettext(key.purpose) for key in GATE_STORAGE}
        texts["gate_lifetimes"] = {key.name: gettext(key.lifetime) for key in GATE_STORAGE
                                   if key.lifetime}
    texts.update((overrides or {}).get(language, {}))
    texts["intro"] = texts["intro"].replace("%(operator)s", operator)
    return texts
