"""Suggested catalog entries for what a scan found: a table of well-known keys (no Flask).

Names, lifetimes and categories come from the vendors' documentation as
shared/reference/trackers-and-law.md (§§1.5, 1.6, 2.6, 3.3) collects it. A key that is not in the
table is filed by what wrote it (an owner's gated script, a known vendor's script) and gets the
lifetime the browser showed.
"""
from dataclasses import dataclass
from urllib.parse import urlsplit

from app.scanner.observations import COOKIE, LOCAL, SESSION
from app.sites.lifetimes import PERSISTENT, UNIT_SECONDS, lifetime_delta
from app.sites.lifetimes import SESSION as SESSION_LIFETIME
from app.sites.trackers import TRACKERS

YANDEX, GOOGLE, META = "Yandex LLC", "Google LLC", "Meta Platforms, Inc."


@dataclass(frozen=True)
class KnownKey:
    """A cookie or storage key whose vendor documents it."""

    name: str
    match: str
    storage: str
    category: str
    provider: str
    lifetime: str
    purpose: str


def _key(name, category, provider, lifetime, purpose, match="exact", storage=COOKIE):
    return KnownKey(name, match, storage, category, provider, lifetime, purpose)


KNOWN_KEYS = (
    _key("_ga", "analytical", GOOGLE, "2 years", "Distinguishes visitors (Google Analytics)"),
    _key("_ga_", "analytical", GOOGLE, "2 years", "Keeps the session state (Google Analytics 4)",
         match="prefix"),
    _key("_gid", "analytical", GOOGLE, "1 day", "Distinguishes visitors (Universal Analytics)"),
    _key("_gat", "analytical", GOOGLE, "1 minute", "Throttles requests (Universal Analytics)",
         match="prefix"),
    _key("_gcl_", "marketing", GOOGLE, "90 days", "Links ad clicks to visits (Google Ads)",
         match="prefix"),
    _key("_ym_uid", "analytical", YANDEX, "1 year", "Identifies visitors (Yandex.Metrica)"),
    _key("_ym_d", "analytical", YANDEX, "1 year", "Date of the first visit (Yandex.Metrica)"),
    _key("_ym_isad", "analytical", YANDEX, "2 days", "Detects ad blockers (Yandex.Metrica)"),
    _key("_ym_visorc", "analytical", YANDEX, "30 minutes", "Session Replay state (Yandex.Metrica)"),
    _key("_ym_hostIndex", "analytical", YANDEX, "1 day", "Limits requests (Yandex.Metrica)"),
    _key("_ym_metrika_enabled", "analytical", YANDEX, "60 minutes",
         "Checks that Metrica's cookies are set (Yandex.Metrica)"),
    _key("_ym_", "analytical", YANDEX, "1 year", "Statistics of visits (Yandex.Metrica)",
         match="prefix"),
    _key("_ym", "analytical", YANDEX, PERSISTENT, "Statistics of visits (Yandex.Metrica)",
         match="prefix", storage=LOCAL),
    _key("_ym", "analytical", YANDEX, SESSION_LIFETIME, "Statistics of visits (Yandex.Metrica)",
         match="prefix", storage=SESSION),
    _key("yandexuid", "marketing", YANDEX, "1 year", "Identifies the browser across Yandex services"),
    _key("yuidss", "marketing", YANDEX, "1 year", "Identifies the browser (Yandex)"),
    _key("ymex", "marketing", YANDEX, "1 year", "Identifier creation time (Yandex)"),
    _key("i", "marketing", YANDEX, "1 year", "Identifies the browser (Yandex)"),
    _key("usst", "marketing", YANDEX, "1 year", "Syncs identifiers between Yandex domains"),
    _key("yclid", "marketing", YANDEX, "90 days", "Yandex Direct click identifier"),
    _key("gclid", "marketing", GOOGLE, "90 days", "Google Ads click identifier"),
    _key("_fbp", "marketing", META, "90 days", "Identifies the browser for advertising (Meta pixel)"),
    _key("_fbc", "marketing", META, "90 days", "Keeps the ad click identifier (Meta pixel)"),
    _key("fr", "marketing", META, "90 days", "Advertising identifier on facebook.com"),
)

#: Hosts of the built-in trackers' scripts and hits -> (tracker name, provider).
VENDOR_HOSTS = {host: (tracker.name, tracker.provider)
                for tracker in TRACKERS.values() for host in tracker.hosts}
#: The category a tracker's keys belong to when nothing else tells.
TRACKER_CATEGORIES = {name: tracker.default_category for name, tracker in TRACKERS.items()}


@dataclass(frozen=True)
class Suggestion:
    """A catalog item to add (or to file differently), ready for a site file."""

    category: str
    name: str
    match: str
    storage: str
    provider: str
    lifetime: str
    purpose: str | None = None

    def as_document(self):
        """Return the item as a site file's catalog entry, under its category."""
        item = {"name": self.name, "match": self.match, "storage": self.storage,
                "provider": self.provider, "lifetime": self.lifetime}
        if self.purpose:
            item["purpose"] = self.purpose
        return {"category": self.category, "item": item}


def known_key(storage, name):
    """Return the table's entry for a key: an exact one, else the longest prefix, else None."""
    exact = [key for key in KNOWN_KEYS if key.storage == storage and key.match == "exact"
             and key.name == name]
    prefixes = sorted((key for key in KNOWN_KEYS if key.storage == storage
                       and key.match == "prefix" and name.startswith(key.name)),
                      key=lambda key: -len(key.name))
    return (exact or prefixes or [None])[0]


def vendor_of(url):
    """Return (tracker name, provider) of a built-in tracker's script or hit URL, or None."""
    return VENDOR_HOSTS.get(urlsplit(url or "").hostname or "")


def lifetime_text(seconds):
    """Return a canonical lifetime for a number of seconds: the largest unit it nearly fills."""
    for unit in ("year", "month", "day", "hour", "minute"):
        # A cookie seen a moment after it was set has a little less than its lifetime left.
        count = seconds / UNIT_SECONDS[unit]
        whole = round(count)
        if whole >= 1 and abs(count - whole) <= 0.02 * whole:
            return f"{whole} {unit}{'s' if whole != 1 else ''}"
    unit = "minute" if seconds < UNIT_SECONDS["hour"] else (
        "hour" if seconds < UNIT_SECONDS["day"] else "day")
    count = max(1, -(-int(seconds) // UNIT_SECONDS[unit]))
    return f"{count} {unit}{'s' if count != 1 else ''}"


def suggest(storage, name, lifetime=None, set_by=None, script_category=None, before_consent=False):
    """Return a Suggestion for a key seen with this lifetime (seconds), writer and category."""
    known = known_key(storage, name)
    vendor = vendor_of(set_by)
    if known:
        category, provider, purpose = known.category, known.provider, known.purpose
        item_name, match = known.name if known.match == "prefix" else name, known.match
    else:
        category = script_category or (TRACKER_CATEGORIES[vendor[0]] if vendor else None) or (
            # Set before any choice by no known vendor: the owner must show it is necessary.
            "mandatory" if before_consent else "functional")
        provider, purpose, item_name, match = vendor[1] if vendor else "first_party", None, name, "exact"
    return Suggestion(category, item_name, match, storage, provider,
                      _suggested_lifetime(storage, lifetime, known), purpose)


def _suggested_lifetime(storage, seconds, known):
    if storage == LOCAL:
        return PERSISTENT
    if storage == SESSION:
        return SESSION_LIFETIME
    # Browsers cap cookies (Chrome at 400 days): declare what the vendor asks, if longer.
    documented = lifetime_delta(known.lifetime) if known else None
    if documented and (seconds is None or documented.total_seconds() >= seconds):
        return known.lifetime
    return SESSION_LIFETIME if seconds is None else lifetime_text(seconds)
