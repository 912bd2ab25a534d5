"""Translate between the settings form's fields and a site document's values."""
from datetime import date

from app.sites.editing import settings_values

#: Check boxes whose unchecked state means "not stated": the key is left out of the document.
UNSTATED_WHEN_OFF = ("ga4_advanced_acknowledged", "cross_border_notice_localisation_assessed")


def settings_from_form(form):
    """Return settings values from a submitted settings form."""
    values = {}
    for field in form:
        if field.name in ("submit", "csrf_token"):
            continue
        values[field.name] = field.data
    values["origins"] = [line.strip() for line in (form.origins.data or "").splitlines()
                         if line.strip()]
    values["languages"] = (form.languages.data or "").replace(",", " ").split()
    values["regime"] = list(form.regime.data or [])
    for name in ("name", "default_language", "privacy_policy_url", "privacy_policy_version",
                 "consent_document_url", "consent_document_version", "yandex_metrica", "ga4",
                 "meta_pixel", "cross_border_notice_reference"):
        values[name] = (values[name] or "").strip() or None
    for name in UNSTATED_WHEN_OFF:
        values[name] = True if values[name] else None
    filed = values["cross_border_notice_filed"]
    values["cross_border_notice_filed"] = filed.isoformat() if filed else None
    return values


def settings_to_form(form, document):
    """Fill the settings form from a site document."""
    values = settings_values(document)
    values["origins"] = "\n".join(values["origins"] or [])
    values["languages"] = " ".join(values["languages"] or [])
    if isinstance(values["cross_border_notice_filed"], str):
        values["cross_border_notice_filed"] = date.fromisoformat(values["cross_border_notice_filed"])
    form.process(data={key: value for key, value in values.items() if value is not None})
