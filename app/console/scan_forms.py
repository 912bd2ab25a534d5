"""The console's scan forms: start a scan, add suggested items (CSRF through Flask-WTF)."""
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, SubmitField
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from app.scanner.robots import origin_of

#: A console scan visits at most this many pages (the CLI allows more, its user waits).
MAX_PAGES = 100


class ScanStartForm(FlaskForm):
    """Start a scan from one page of the site (its home pages by default)."""

    url = StringField(_l("Start page (optional)"), validators=[Optional()])
    pages = IntegerField(_l("Pages at most"), default=20,
                         validators=[InputRequired(), NumberRange(1, MAX_PAGES)])
    submit = SubmitField(_l("Start scan"))

    def __init__(self, origins=(), **kwargs):
        super().__init__(**kwargs)
        self.origins = {origin.lower() for origin in origins}

    def validate_url(self, field):
        """Accept only an http(s) page on one of the site's origins: the scanner visits no
        other sites for an owner."""
        value = (field.data or "").strip()
        try:
            parts = urlsplit(value)
            valid = parts.scheme in ("http", "https") and bool(parts.hostname)
            origin = origin_of(value) if valid and parts.port != 0 else None
        except ValueError:
            origin = None
        if origin is None:
            raise ValidationError(_("Enter an http(s) URL such as https://www.example.com/shop."))
        if origin not in self.origins:
            raise ValidationError(_("The page must be on one of the site's origins: %(origins)s.",
                                    origins=", ".join(sorted(self.origins))))
        field.data = value


class AddSuggestionsForm(FlaskForm):
    """The "Add to catalog" buttons of a scan's findings (only the CSRF token is a field here:
    the chosen findings arrive as `finding` or `selected` values)."""
