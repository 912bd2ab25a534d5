"""Languages: which locale a page is rendered in."""
from flask import request
from flask_babel import get_locale, refresh

from app.extensions import babel


def init_app(app, translations_dir):
    """Bind Flask-Babel with the project's translations folder."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(translations_dir))
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["current_locale"] = get_locale
    # Flask-Babel caches the locale on the app context, which a request may share with its caller.
    app.teardown_request(lambda _error: refresh())


def select_locale():
    """Pick ?lang=, the console user's setting, then the browser's languages, then the default."""
    from flask import current_app, g
    from flask_login import current_user

    supported = list(getattr(g, "page_languages", None) or current_app.config["LANGUAGES"])
    requested = request.args.get("lang")
    if requested in supported:
        return requested
    chosen = getattr(current_user, "language", None) if request.blueprint == "console" else None
    if chosen in supported:
        return chosen
    return request.accept_languages.best_match(supported) or supported[0]
