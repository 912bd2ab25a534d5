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


#: The console's names of the catalog categories (the site file keeps the English keys).
CATEGORY_LABELS = {"mandatory": _l("Mandatory"), "analytical": _l("Analytical"),
                   "marketing": _l("Marketing"), "functional": _l("Functional")}
REGIME_CHOICES = options([(Regime.GDPR.value, _l("GDPR (EU)")),
                          (Regime.RU152.value, _l("152-FZ (Russia)"))])
GCM_CHOICES = options([
    (GoogleConsentMode.BASIC.value, _l("Basic: gtag.js waits for consent")),
    (GoogleConsentMode.ADVANCED.value, _l("Advanced: gtag.js loads before consent, denied"))])
GPC_CHOICES = options([(GpcMode.REFUSE.value, _l("Refuse analytical and marketing")),
                       (GpcMode.IGNORE.value, _l("Ignore the signal"))])
IP_CHOICES = options([(IpMode.TRUNCATE.value, _l("Truncated (/24 or /48)")),
                      (IpMode.HASH.value, _l("Keyed hash (HMAC)"))])
MATCH_CHOICES = options([(MatchKind.EXACT.value, _l("Exact name")),
                         (MatchKind.PREFIX.value, _l("Name prefix")),
                         (MatchKind.REGEX.value, _l("Regular expression"))])
STORAGE_CHOICES = options([(StorageKind.COOKIE.value, _l("Cookie")),
                           (StorageKind.LOCAL_STORAGE.value, _l("Local storage")),
                           (StorageKind.SESSION_STORAGE.value, _l("Session storage")),
                           (StorageKind.PIXEL.value, _l("Pixel"))])


def option_label(choices, value):
    """Return the label of a value among select choices (the value itself if unknown)."""
    return next((choice.label for choice in choices if choice.value == value), value)


def site_name_field():
    """Return the site name field the settings and the new-site wizard share."""
    return StringField(_l("Site name"), validators=[DataRequired(), Length(max=200)],
                       description=_l("How the console names the site."))


def audience_fields():
    """Return the origins, languages and default language fields (settings and wizard)."""
    origins = TextAreaField(_l("Allowed origins, one per line"), validators=[DataRequired()],
                            description=_l("The https addresses of the pages that embed the "
                                           "banner, e.g. https://www.example.com."))
    languages = StringField(_l("Languages, separated by spaces"), validators=[DataRequired()],
                            description=_l("Language codes the banner offers, e.g. ru en."))
    default_language = StringField(_l("Default language"), validators=[DataRequired()],
                                   description=_l("One of the languages; shown when the "
                                                  "visitor's is not offered."))
    return origins, languages, default_language


class SiteSettingsForm(FlaskForm):
    name = site_name_field()
    origins, languages, default_language = audience_fields()
    regime = MultiCheckboxField(_l("Legal regimes"), choices=REGIME_CHOICES,
                                description=_l("Which law the banner and the proofs follow."))
    privacy_policy_url = StringField(_l("Privacy policy URL"), validators=[Optional()],
                                     description=_l("Where the banner links the policy."))
    privacy_policy_version = StringField(
        _l("Privacy policy version"), validators=[DataRequired()],
        description=_l("A date or number; a new version asks visitors again."))
    consent_document_url = StringField(
        _l("Consent document URL (152-FZ)"), validators=[Optional()],
        description=_l("Empty on a 152-FZ site: the service generates the document."))
    consent_document_version = StringField(_l("Consent document version"),
                                           validators=[Optional()],
                                           description=_l("Needed with a consent document URL."))
    consent_lifetime_days = IntegerField(
        _l("Consent lifetime, days"), validators=[DataRequired(), NumberRange(1, 3650)],
        description=_l("After this the banner asks again (1 to 3650)."))
    refusal_lifetime_days = IntegerField(
        _l("Refusal lifetime, days (empty: as consent)"),
        validators=[Optional(), NumberRange(1, 3650)],
        description=_l("How long a refusal is remembered; never longer than a consent."))
    ga4_consent_mode = SelectField(
        _l("Google Consent Mode"), choices=GCM_CHOICES,
        description=_l("Advanced is refused on 152-FZ sites."))
    ga4_advanced_acknowledged = BooleanField(
        _l("I understand that advanced Consent Mode loads gtag.js before consent (GDPR sites "
           "only)"), description=_l("Required for advanced Consent Mode."))
    cross_border_notice_filed = DateField(
        _l("152-FZ Art. 12 cross-border notice filed on (empty: GA4 and the Meta pixel are not "
           "loaded on 152-FZ sites)"), validators=[Optional()],
        description=_l("The date the notice was filed with Roskomnadzor."))
    cross_border_notice_reference = StringField(
        _l("Cross-border notice reference"), validators=[Optional(), Length(max=500)],
        description=_l("Its number, if any."))
    cross_border_notice_localisation_assessed = BooleanField(
        _l("Art. 18(5) localisation assessed: Russian citizens' data is first recorded in Russia"),
        description=_l("Required with a filed notice."))
    gpc = SelectField(_l("Global Privacy Control"), choices=GPC_CHOICES,
                      description=_l("What a browser's GPC signal means for this site."))
    client_ip = SelectField(_l("Client address in proofs"), choices=IP_CHOICES,
                            description=_l("Proofs never keep the full address."))
    retention_days = IntegerField(
        _l("Keep proofs for, days"), validators=[DataRequired(), NumberRange(1, 36500)],
        description=_l("Older consent records are purged, leaving a signed anchor."))
    submit = SubmitField(_l("Save settings"))


# One id field per built-in tracker, named as in the site file (after the class's own fields).
for _name, _tracker in TRACKERS.items():
    setattr(SiteSettingsForm, _name, StringField(
        _l(_tracker.id_label), validators=[Optional()],
        description=_l("Empty: %(tracker)s is not used.", tracker=_tracker.label)))

#: The settings form's groups: a legend and the fields under it, in order.
SETTINGS_FIELDSETS = (
    (_l("Identity"), ("name",)),
    (_l("Origins and languages"), ("origins", "languages", "default_language")),
    (_l("Regime and documents"), ("regime", "privacy_policy_url", "privacy_policy_version",
                                  "consent_document_url", "consent_document_version",
                                  "cross_border_notice_filed", "cross_border_notice_reference",
                                  "cross_border_notice_localisation_assessed")),
    (_l("Trackers"), (*TRACKERS, "ga4_consent_mode", "ga4_advanced_acknowledged")),
    (_l("Privacy settings"), ("gpc", "client_ip")),
    (_l("Lifetimes"), ("consent_lifetime_days", "refusal_lifetime_days", "retention_days")),
)


class CatalogItemForm(FlaskForm):
    category = SelectField(_l("Category"), choices=options(CATEGORY_LABELS.items()),
                           description=_l("Mandatory items are always on; the others wait for "
                                          "the visitor's consent."))
    name = StringField(_l("Name or pattern"), validators=[DataRequired(), Length(max=200)],
                       description=_l("The cookie or storage key, e.g. _ga."))
    match = SelectField(_l("Match"), choices=MATCH_CHOICES,
                        description=_l("How the name is compared with the keys the site has."))
    storage = SelectField(_l("Storage"), choices=STORAGE_CHOICES)
    provider = StringField(_l("Provider (first_party for the site itself)"),
                           validators=[DataRequired(), Length(max=200)],
                           description=_l("Who sets it, e.g. Google LLC."))
    purpose = TextAreaField(_l("Purpose (default language)"), validators=[DataRequired()],
                            description=_l("What it is for, in words a visitor understands."))
    lifetime = StringField(_l("Lifetime, e.g. 1 year, session"), validators=[Optional()],
                           description=_l("session, persistent, or a number with minutes, "
                                          "hours, days, months or years."))
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

    from app.console.text_labels import TEXT_LABELS

    for key in keys:
        setattr(TextsForm, key, TextAreaField(TEXT_LABELS.get(key, key),
                                              validators=[Optional(), Length(max=2000)]))
    return TextsForm()


class DeleteSiteForm(FlaskForm):
    """Deleting a site asks for its id, so a slip of the mouse deletes nothing."""

    confirmation = StringField(_l("Type the site id to confirm"),
                               validators=[DataRequired(), Length(max=40)])
    submit = SubmitField(_l("Delete the site"))


ROLE_CHOICES = options([("owner", _l("Owner: edits the sites assigned to them")),
                        ("auditor", _l("Auditor: reads and exports every site's records")),
                        ("admin", _l("Admin: everything, including users and sites"))])


class NewUserForm(FlaskForm):
    """An admin invites a user: the invitation link lets them set their own password."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=320)],
                       description=_l("They log in with it."))
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="owner")
    sites = MultiCheckboxField(_l("Sites"), description=_l("The sites an owner manages."))
    submit = SubmitField(_l("Create the invitation"))


class UserSitesForm(FlaskForm):
    """The sites an owner manages."""

    sites = MultiCheckboxField(_l("Sites"))
    submit = SubmitField(_l("Save sites"))


class InvitationForm(FlaskForm):
    """The invitee sets their password."""

    new_password, new_password_again = _new_password_fields()
    submit = SubmitField(_l("Set password and log in"))
