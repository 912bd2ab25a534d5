"""Console forms; every POST form carries a CSRF token through Flask-WTF."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.accounts.service import DEFAULT_TOKEN_DAYS, MIN_PASSWORD_LENGTH, TOKEN_DAYS
from app.sites.kinds import GoogleConsentMode, GpcMode, IpMode, MatchKind, Regime, StorageKind
from app.sites.trackers import TRACKERS

CATEGORIES = ("mandatory", "analytical", "marketing", "functional")
EVENTS = ("grant", "deny", "update", "withdraw", "expire", "renew")


def options(pairs):
    """Return select choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    """A set of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=320)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Log in"))


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("Log out"))


class LanguageForm(FlaskForm):
    language = SelectField(_l("Console language"),
                           choices=options([("", _l("As my browser")), ("en", "English"),
                                            ("ru", "Русский")]))
    submit = SubmitField(_l("Save"))


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)])
    days = SelectField(_l("Expires after"), coerce=int, default=DEFAULT_TOKEN_DAYS,
                       choices=options((days, _l("%(days)d days", days=days)) for days in TOKEN_DAYS))
    submit = SubmitField(_l("Create token"))


def _new_password_fields():
    new = PasswordField(_l("New password"), validators=[
        DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=500,
                               message=_l("At least %(min)d characters.", min=MIN_PASSWORD_LENGTH))])
    repeat = PasswordField(_l("New password again"), validators=[
        DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))])
    return new, repeat


class PasswordForm(FlaskForm):
    """The user's own password change: the current one proves it is them."""

    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(), Length(max=500)])
    new_password, new_password_again = _new_password_fields()
    submit = SubmitField(_l("Change password"))


class PasswordResetForm(FlaskForm):
    """An admin sets another user's password."""

    new_password, new_password_again = _new_password_fields()
    submit = SubmitField(_l("Reset password"))


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token (revoke, delete)."""

    submit = SubmitField(_l("Confirm"))


class SiteSettingsForm(FlaskForm):
    name = StringField(_l("Site name"), validators=[DataRequired(), Length(max=200)])
    origins = TextAreaField(_l("Allowed origins, one per line"), validators=[DataRequired()])
    languages = StringField(_l("Languages, separated by spaces"), validators=[DataRequired()])
    default_language = StringField(_l("Default language"), validators=[DataRequired()])
    regime = MultiCheckboxField(_l("Legal regimes"), choices=options([
        (Regime.GDPR.value, "GDPR"), (Regime.RU152.value, "152-FZ")]))
    privacy_policy_url = StringField(_l("Privacy policy URL"), validators=[Optional()])
    privacy_policy_version = StringField(_l("Privacy policy version"), validators=[DataRequired()])
    consent_document_url = StringField(_l("Consent document URL (152-FZ)"), validators=[Optional()])
    consent_document_version = StringField(_l("Consent document version"), validators=[Optional()])
    consent_lifetime_days = IntegerField(_l("Consent lifetime, days"),
                                         validators=[DataRequired(), NumberRange(1, 3650)])
    refusal_lifetime_days = IntegerField(_l("Refusal lifetime, days (empty: as consent)"),
                                         validators=[Optional(), NumberRange(1, 3650)])
    ga4_consent_mode = SelectField(_l("Google Consent Mode"),
                                   choices=options((m.value, m.value) for m in GoogleConsentMode))
    ga4_advanced_acknowledged = BooleanField(
        _l("I understand that advanced Consent Mode loads gtag.js before consent (GDPR sites "
           "only)"))
    cross_border_notice_filed = DateField(
        _l("152-FZ Art. 12 cross-border notice filed on (empty: GA4 and the Meta pixel are not "
           "loaded on 152-FZ sites)"), validators=[Optional()])
    cross_border_notice_reference = StringField(_l("Cross-border notice reference"),
                                                validators=[Optional(), Length(max=500)])
    cross_border_notice_localisation_assessed = BooleanField(
        _l("Art. 18(5) localisation assessed: Russian citizens' data is first recorded in Russia"))
    gpc = SelectField(_l("Global Privacy Control"), choices=options((m.value, m.value) for m in GpcMode))
    client_ip = SelectField(_l("Client address in proofs"),
                            choices=options((m.value, m.value) for m in IpMode))
    retention_days = IntegerField(_l("Keep proofs for, days"),
                                  validators=[DataRequired(), NumberRange(1, 36500)])
    submit = SubmitField(_l("Save settings"))


# One id field per built-in tracker, named as in the site file (after the class's own fields).
for _name, _tracker in TRACKERS.items():
    setattr(SiteSettingsForm, _name, StringField(_l(_tracker.id_label), validators=[Optional()]))


class CatalogItemForm(FlaskForm):
    category = SelectField(_l("Category"), choices=options((c, c) for c in CATEGORIES))
    name = StringField(_l("Name or pattern"), validators=[DataRequired(), Length(max=200)])
    match = SelectField(_l("Match"), choices=options((m.value, m.value) for m in MatchKind))
    storage = SelectField(_l("Storage"), choices=options((s.value, s.value) for s in StorageKind))
    provider = StringField(_l("Provider (first_party for the site itself)"),
                           validators=[DataRequired(), Length(max=200)])
    purpose = TextAreaField(_l("Purpose (default language)"), validators=[DataRequired()])
    lifetime = StringField(_l("Lifetime, e.g. 1 year, session"), validators=[Optional()])
    domain = StringField(_l("Domain (empty: the site's own)"), validators=[Optional()])
    submit = SubmitField(_l("Save item"))


class UploadForm(FlaskForm):
    site_file = FileField(_l("Site file (YAML or TOML)"), validators=[
        FileRequired(), FileAllowed(["yaml", "yml", "toml"], _l("YAML or TOML files only"))])
    submit = SubmitField(_l("Upload and save"))


class DocumentUploadForm(FlaskForm):
    kind = SelectField(_l("Document"), choices=options([
        ("privacy_policy", _l("Privacy policy")),
        ("consent_document", _l("Consent to personal data processing"))]))
    language = SelectField(_l("Language"), choices=[])
    text_file = FileField(_l("Text (.txt, .md or .html, UTF-8)"), validators=[
        FileRequired(), FileAllowed(["txt", "md", "html", "htm"],
                                    _l("Plain text, Markdown or HTML files only"))])
    submit = SubmitField(_l("Store as the current version"))


class SearchForm(FlaskForm):
    """Proof search; a GET form, so it carries no CSRF token."""

    class Meta:
        csrf = False

    site = SelectField(_l("Site"), choices=[], validate_choice=False)
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To (inclusive)"), validators=[Optional()])
    event = SelectField(_l("Event"), choices=options([("", "")] + [(e, e) for e in EVENTS]),
                        validators=[Optional()])
    consent_id = StringField(_l("Consent id"), validators=[Optional(), Length(max=64)])
    subject_id = StringField(_l("Subject id"), validators=[Optional(), Length(max=64)])
    receipt = StringField(_l("Receipt"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Search"))


class StatsForm(FlaskForm):
    """The statistics' range: a preset number of days up to today, or custom from/to."""

    class Meta:
        csrf = False

    range = SelectField(_l("Range"), choices=options([
        ("", ""), ("7", _l("7 days")), ("30", _l("30 days")), ("90", _l("90 days")),
        ("custom", _l("Custom"))]), validators=[Optional()])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To (inclusive)"), validators=[Optional()])
    submit = SubmitField(_l("Show"))




def texts_form(keys):
    """Return a form with one optional text area per banner text key."""

    class TextsForm(FlaskForm):
        submit = SubmitField(_l("Save texts"))

    for key in keys:
        setattr(TextsForm, key, TextAreaField(key, validators=[Optional(), Length(max=2000)]))
    return TextsForm()
