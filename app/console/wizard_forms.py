"""The new-site wizard's forms, one a step, and how each step's answers become a site document."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from app.console.forms import REGIME_CHOICES, MultiCheckboxField, audience_fields, site_name_field
from app.sites.trackers import TRACKERS


class _StepForm(FlaskForm):
    step = HiddenField()
    #: The earlier steps' answers, signed by the service (app.console.views_wizard).
    draft = HiddenField()


class IdentityStep(_StepForm):
    site_id = StringField(_l("Site id"), validators=[DataRequired(), Length(max=40)],
                          description=_l("Part of the embed URL: a-z, 0-9 and '-', 2 to 40 "
                                         "characters, e.g. example-shop. It cannot change later."))
    name = site_name_field()
    operator_legal_name = StringField(
        _l("Operator's legal name"), validators=[DataRequired(), Length(max=2000)],
        description=_l("The data controller, as the privacy policy names it."))
    operator_registration_number = StringField(
        _l("Registration number"), validators=[Optional(), Length(max=500)],
        description=_l("TIN, INN, OGRN or company number; may stay empty."))
    operator_address = StringField(_l("Operator's address"),
                                   validators=[Optional(), Length(max=500)])
    operator_email = EmailField(_l("Operator's privacy e-mail"),
                                validators=[DataRequired(), Length(max=320)],
                                description=_l("Where visitors write about their data."))
    operator_country = StringField(
        _l("Operator's country"), validators=[Optional(), Length(max=2)],
        description=_l("Two-letter code such as RU; providers elsewhere are cross-border."))
    submit = SubmitField(_l("Next"))


class AudienceStep(_StepForm):
    origins, languages, default_language = audience_fields()
    regime = MultiCheckboxField(_l("Legal regimes"), choices=REGIME_CHOICES,
                                validators=[DataRequired()],
                                description=_l("Which law the banner and the proofs follow."))
    privacy_policy_url = StringField(_l("Privacy policy URL"),
                                     validators=[DataRequired(), Length(max=500)])
    privacy_policy_version = StringField(
        _l("Privacy policy version"), validators=[DataRequired(), Length(max=60)],
        description=_l("A date or number; a new version asks visitors again."))
    submit = SubmitField(_l("Next"))


class TrackersStep(_StepForm):
    submit = SubmitField(_l("Next"))


for _name, _tracker in TRACKERS.items():
    setattr(TrackersStep, _name, StringField(
        _l(_tracker.id_label), validators=[Optional(), Length(max=40)],
        description=_l("Empty: %(tracker)s is not used.", tracker=_tracker.label)))


class CatalogStep(_StepForm):
    items = MultiCheckboxField(_l("Catalog items"), validate_choice=True)
    submit = SubmitField(_l("Create the site"))


STEP_FORMS = {"identity": IdentityStep, "audience": AudienceStep, "trackers": TrackersStep,
              "catalog": CatalogStep}


def _text(field):
    return (field.data or "").strip()


def step_part(step, form):
    """Return the part of a site document a submitted step form gives."""
    if step == "identity":
        operator = {key: _text(form["operator_" + key]) for key in
                    ("legal_name", "registration_number", "address", "email", "country")}
        operator["country"] = operator["country"].upper() or None
        return {"id": _text(form.site_id), "name": _text(form.name),
                "operator": {key: value for key, value in operator.items() if value is not None}}
    if step == "audience":
        return {"origins": [line.strip() for line in form.origins.data.splitlines()
                            if line.strip()],
                "languages": form.languages.data.replace(",", " ").split(),
                "default_language": _text(form.default_language),
                "regime": list(form.regime.data),
                "privacy_policy": {"url": _text(form.privacy_policy_url),
                                   "version": _text(form.privacy_policy_version)}}
    if step == "trackers":
        return {"trackers": {name: _text(form[name]) for name in TRACKERS if _text(form[name])}}
    return {}


#: Site-file paths of each step's form fields, where they are not the path joined with "_".
FIELD_ALIASES = {"id": "site_id"}
