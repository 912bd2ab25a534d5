"""The new-site wizard's steps, the draft they pass on and the catalog it starts from (no Flask).

Each step adds its part of a site document to the draft. A step is checked by validating the
draft over a valid skeleton, so only what was asked so far can be at fault; the last step's
document is validated and published as an imported site file would be.
"""
import copy

from app.sites.files import parse_site_document
from app.sites.kinds import StorageKind
from app.sites.texts import N_
from app.sites.trackers import TRACKERS

STEPS = ("identity", "audience", "trackers", "catalog")

#: What a step-by-step draft stands on until its own steps replace it: valid, and never stored.
SKELETON = {
    "id": "draft", "name": "Draft",
    "operator": {"legal_name": "Draft", "email": "draft@example.com"},
    "origins": ["https://example.com"], "languages": ["en"], "default_language": "en",
    "regime": ["gdpr"], "privacy_policy": {"url": "https://example.com/privacy", "version": "1"},
    "catalog": {"mandatory": [], "analytical": []},
}

#: Catalog items each built-in tracker starts with: what it writes on the site's own domain
#: (shared/reference/trackers-and-law.md 1.5, 2.6, 3.3), keyed by a stable template key.
TEMPLATES = {
    "yandex_metrica": (
        ("ym_uid", "_ym_uid", "exact", StorageKind.COOKIE, "1 year",
         N_("Tells visits of the same browser apart for Yandex.Metrica statistics")),
        ("ym_d", "_ym_d", "exact", StorageKind.COOKIE, "1 year",
         N_("Keeps the date of the first visit for Yandex.Metrica")),
        ("ym_isad", "_ym_isad", "exact", StorageKind.COOKIE, "2 days",
         N_("Tells Yandex.Metrica whether an ad blocker is on")),
        ("ym_visorc", "_ym_visorc", "exact", StorageKind.COOKIE, "30 minutes",
         N_("Keeps the state of Yandex.Metrica session replay")),
        ("ym_storage", "_ym", "prefix", StorageKind.LOCAL_STORAGE, "persistent",
         N_("Keeps Yandex.Metrica's visitor id and unsent hits in the browser")),
    ),
    "ga4": (
        ("ga", "_ga", "exact", StorageKind.COOKIE, "2 years",
         N_("Tells visits of the same browser apart for Google Analytics")),
        ("ga_container", "_ga_", "prefix", StorageKind.COOKIE, "2 years",
         N_("Keeps the Google Analytics session state")),
    ),
    "meta_pixel": (
        ("fbp", "_fbp", "exact", StorageKind.COOKIE, "90 days",
         N_("Identifies the browser for Meta advertising")),
        ("fbc", "_fbc", "exact", StorageKind.COOKIE, "90 days",
         N_("Keeps the Meta advertising click that brought the visitor")),
    ),
}


def merged(base, part):
    """Return a copy of base with the keys of part set over it (nested objects replaced)."""
    result = copy.deepcopy(base)
    result.update(copy.deepcopy(part))
    return result


def check_draft(draft):
    """Validate a draft over the skeleton; raise SiteFileError naming the first bad field."""
    return parse_site_document(merged(SKELETON, draft), "console")


def template_choices(trackers):
    """Return (key, tracker, item values) of the template items of the trackers switched on."""
    choices = []
    for name in TRACKERS:
        if not (trackers or {}).get(name):
            continue
        tracker = TRACKERS[name]
        for key, item_name, match, storage, lifetime, purpose in TEMPLATES[name]:
            choices.append((f"{name}.{key}", tracker, {
                "name": item_name, "match": match, "storage": storage.value,
                "provider": tracker.provider, "purpose": purpose, "lifetime": lifetime}))
    return choices


def template_catalog(trackers, chosen, purpose_for):
    """Return a catalog of the chosen template items, each filed in its tracker's category.

    :param purpose_for: turns a template purpose (an English message) into the item's purpose,
        one text or one per language.
    """
    catalog = {"mandatory": [], "analytical": []}
    for key, tracker, item in template_choices(trackers):
        if key not in chosen:
            continue
        entry = {**item, "purpose": purpose_for(item["purpose"])}
        if entry["match"] == "exact":
            del entry["match"]
        if entry["storage"] == StorageKind.COOKIE.value:
            del entry["storage"]
        catalog.setdefault(tracker.default_category, []).append(entry)
    return catalog


def site_document(draft, catalog):
    """Return the complete site document of a finished draft."""
    return {**copy.deepcopy(draft), "catalog": catalog}
