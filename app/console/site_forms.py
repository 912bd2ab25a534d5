"""Translate between the settings form's fields and a site document's values."""
from app.sites.editing import settings_values


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
                 "meta_pixel"):
        values[name] = (values[name] or "").strip() or None
    return values


def settings_to_form(form, document):
    """Fill the settings form from a site document."""
    values = settings_values(document)
    values["origins"] = "\n".join(values["origins"] or [])
    values["languages"] = " ".join(values["languages"] or [])
    form.process(data={key: value for key, value in values.items() if value is not None})
