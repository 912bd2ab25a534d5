"""Who receives data in each optional category, and where (no Flask).

The first layer names, per category, the built-in trackers that may load there and the catalog's
third-party providers, with the country each processes data in when it differs from the
operator's (GDPR Art. 13(1)(e)-(f), 152-FZ Art. 12). Re-consent compares these sets over a site's
saved revisions: a vendor that joins a category asks again those who had granted it.
"""
import re
from dataclasses import dataclass

from app.sites.catalog import catalog_from_document, tracker_categories
from app.sites.kinds import FIRST_PARTY
from app.sites.trackers import RUSSIA, TRACKERS, loadable_trackers

#: Countries of providers that catalogs name, by a key of their name (see provider_key). A
#: provider not listed here is named without a country.
PROVIDER_COUNTRIES = {
    "yandex": RUSSIA,
    "vk": RUSSIA,
    "mail.ru": RUSSIA,
    "google": "US",
    "meta platforms": "US",
    "facebook": "US",
    "microsoft": "US",
    # "Zoho Inc.", as the oomnis policy names it: Zoho Corporation's US company.
    "zoho": "US",
    "hotjar": "MT",
}
#: Company-form words a provider's name may carry; they do not tell providers apart.
LEGAL_FORMS = re.compile(r"\b(llc|inc|ltd|limited|corp|corporation|gmbh|b\.?v|ooo|ireland)\b\.?")


@dataclass(frozen=True)
class Vendor:
    """One recipient named on the first layer: a service (or None) and the company behind it."""

    provider: str
    service: str | None = None
    country: str | None = None


def provider_key(name):
    """Return the part of a provider's name that identifies the company ("Google LLC" -> "google")."""
    bare = LEGAL_FORMS.sub("", name.lower().replace(",", " "))
    return " ".join(bare.split())


def provider_country(name):
    """Return the ISO country code a known provider processes data in, or None."""
    return PROVIDER_COUNTRIES.get(provider_key(name))


def operator_country(declared, regime):
    """Return the operator's country: as declared, else Russia for a 152-FZ site, else None."""
    return declared or (RUSSIA if "ru152" in (regime or ()) else None)


def site_vendors(site, catalog):
    """Return {category: [Vendor]} for a stored site or a site spec (see category_vendors)."""
    return category_vendors(site.trackers, site.regime, catalog,
                            getattr(site, "cross_border_notice", None))


def category_vendors(trackers, regime, catalog, cross_border_notice=None):
    """Return {category: [Vendor]} of every optional category, trackers first, in catalog order.

    Providers of trackers held back on this site (app.sites.trackers.loadable_trackers) are left
    out, so the banner never names a recipient it does not send data to.
    """
    loadable = loadable_trackers(trackers, regime, cross_border_notice)
    held_back = {provider_key(TRACKERS[name].provider)
                 for name in trackers or {} if trackers[name] and name not in loadable}
    placed = tracker_categories(loadable, catalog)
    vendors = {}
    for category, items in catalog.categories():
        if category == "mandatory":
            continue
        listed = [Vendor(TRACKERS[name].provider, TRACKERS[name].label, TRACKERS[name].country)
                  for name in loadable if placed.get(name) == category]
        known = {provider_key(vendor.provider) for vendor in listed} | held_back
        for item in items:
            key = provider_key(item.provider)
            if item.provider != FIRST_PARTY and key not in known:
                known.add(key)
                listed.append(Vendor(item.provider, None, provider_country(item.provider)))
        vendors[category] = listed
    return vendors


def vendor_names(vendors):
    """Return {identity: display name} of a category's vendors, for comparing revisions.

    A built-in tracker counts by its service and its company, a catalog provider by its company:
    adding a tracker asks again even when its company was named, removing one never does.
    """
    names = {}
    for vendor in vendors:
        names.setdefault(provider_key(vendor.provider), vendor.provider)
        if vendor.service:
            names[vendor.service] = vendor.service
    return names


def vendor_additions(revisions):
    """Return {category: {vendor: when it joined}} from a site's revisions, oldest first.

    revisions are (created_at, site file document) pairs. Only vendors that joined a category
    after the first revision and are still in it are named; one that left and came back counts
    from its return.
    """
    joined, first = {}, True
    for created_at, document in revisions:
        vendors = _revision_vendors(document)
        if vendors is None:
            continue
        for category in list(joined):
            if category not in vendors:
                del joined[category]
        for category, listed in vendors.items():
            names = set(vendor_names(listed))
            present = joined.setdefault(category, {})
            for name in list(present):
                if name not in names:
                    del present[name]
            for name in names - set(present):
                present[name] = None if first else created_at
        first = False
    return {category: {name: when for name, when in present.items() if when is not None}
            for category, present in joined.items()}


def _revision_vendors(document):
    # An old revision the current schema no longer reads is skipped, not fatal: it can only
    # make the banner ask again too rarely for a vendor that is long gone.
    try:
        catalog = catalog_from_document(document["catalog"])
    except (KeyError, TypeError, ValueError):
        return None
    return category_vendors(document.get("trackers") or {}, document.get("regime"), catalog,
                            document.get("cross_border_notice"))
