"""What the texts editor calls each banner text, and its default split around placeholders."""
import re

from flask_babel import lazy_gettext as _l

PLACEHOLDER = re.compile(r"%\((\w+)\)s")

#: A human name for each banner text key (app.sites.texts.BANNER_TEXTS), in the console language.
TEXT_LABELS = {
    "title": _l("Banner title"), "intro": _l("Introduction"),
    "accept_all": _l("Accept all button"), "reject_all": _l("Reject all button"),
    "settings": _l("Settings button"), "save": _l("Save choices button"),
    "cross_border": _l("Cross-border notice"), "kept": _l("How long a choice is kept"),
    "kept_both": _l("How long a consent and a refusal are kept"),
    "third_party_cookies": _l("Note on providers' own cookies"),
    "placeholder_vendors": _l("Blocked content: what allowing starts"),
    "close": _l("Close button"), "settings_title": _l("Settings title"),
    "settings_intro": _l("Settings introduction"), "privacy_policy": _l("Privacy policy link"),
    "consent_document": _l("Consent document link"), "always_on": _l("Always on label"),
    "category_mandatory": _l("Mandatory category name"),
    "category_analytical": _l("Analytical category name"),
    "category_marketing": _l("Marketing category name"),
    "category_functional": _l("Functional category name"),
    "about_mandatory": _l("About mandatory cookies"),
    "about_analytical": _l("About analytical cookies"),
    "about_marketing": _l("About marketing cookies"),
    "about_functional": _l("About functional cookies"),
    "column_name": _l("Table column: name"), "column_provider": _l("Table column: provider"),
    "column_purpose": _l("Table column: purpose"), "column_lifetime": _l("Table column: lifetime"),
    "first_party": _l("Provider name of the site itself"),
    "lifetime_session": _l("Lifetime: session"), "lifetime_persistent": _l("Lifetime: persistent"),
    "changed_vendors": _l("Asked again: new providers"),
    "changed_policy": _l("Asked again: policy updated"),
    "changed_expired": _l("Asked again: choice expired"),
    "gpc_notice": _l("Global Privacy Control notice"),
    "blocked_content": _l("Blocked content notice"), "allow": _l("Allow button"),
}


def text_parts(text, values):
    """Split a default text into ("text", s) and ("placeholder", name) parts, filling in values.

    A placeholder with a known value becomes text; the others stay named, for the page to show
    them as chips rather than as %(name)s.
    """
    parts, position = [], 0
    for found in PLACEHOLDER.finditer(text):
        parts.append(("text", text[position:found.start()]))
        name = found[1]
        parts.append(("text", values[name]) if name in values else ("placeholder", name))
        position = found.end()
    parts.append(("text", text[position:]))
    return [(kind, value) for kind, value in parts if value]
