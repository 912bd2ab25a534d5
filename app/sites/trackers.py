"""What the built-in trackers really write, from their vendors' documentation and source.

See shared/reference/trackers-and-law.md sections 1.5, 1.6, 2.6 and 3.3.
"""
from dataclasses import dataclass

from app.sites.schema import StorageKind

COOKIE, LOCAL, SESSION = (StorageKind.COOKIE, StorageKind.LOCAL_STORAGE,
                          StorageKind.SESSION_STORAGE)

#: Click and browser identifiers that exist to attribute advertising, whatever a policy calls them.
ADVERTISING_IDENTIFIERS = ("_fbp", "_fbc", "gclid", "yclid")


@dataclass(frozen=True)
class TrackerKey:
    """A cookie or storage key a tracker writes on the site's own domain."""

    template: str
    storage: StorageKind = COOKIE

    def name_for(self, tracker_id):
        """Return the real key name for a configured tracker id."""
        return self.template.format(id=tracker_id, container=tracker_id.removeprefix("G-"))


@dataclass(frozen=True)
class Tracker:
    """A built-in tracker: who runs it and what it leaves behind."""

    label: str
    provider: str
    #: Keys on the site's domain, which the gate must declare and can delete.
    first_party: tuple[TrackerKey, ...]
    #: Cookies on the vendor's own domain, which no site can read or delete.
    third_party: tuple[str, ...]
    vendor_domain: str
    #: Data goes to servers outside Russia (152-FZ Art. 12 and 18(5)).
    cross_border: bool
    #: Key prefixes the gate deletes on withdrawal, covering keys the vendor adds later.
    clear_prefixes: tuple[TrackerKey, ...] = ()


TRACKERS = {
    "yandex_metrica": Tracker(
        label="Yandex.Metrica",
        provider="Yandex LLC",
        first_party=(
            TrackerKey("_ym_uid"),
            TrackerKey("_ym_d"),
            TrackerKey("_ym_isad"),
            TrackerKey("_ym_visorc"),
            TrackerKey("_ym_uid", LOCAL),
            TrackerKey("_ym_retryReqs", LOCAL),
            TrackerKey("_ym{id}_lsid", LOCAL),
            TrackerKey("_ym{id}_lastHit", LOCAL),
        ),
        third_party=("yandexuid", "yuidss", "ymex", "usst", "yabs-sid", "i"),
        vendor_domain="yandex.ru",
        cross_border=False,
        clear_prefixes=(TrackerKey("_ym_"), TrackerKey("_ym", LOCAL), TrackerKey("_ym", SESSION)),
    ),
    "ga4": Tracker(
        label="Google Analytics 4",
        provider="Google LLC",
        first_party=(TrackerKey("_ga"), TrackerKey("_ga_{container}")),
        third_party=("NID", "AEC"),
        vendor_domain="google.com",
        cross_border=True,
        clear_prefixes=(TrackerKey("_ga"), TrackerKey("_gcl_"), TrackerKey("_gid")),
    ),
    "meta_pixel": Tracker(
        label="Meta pixel",
        provider="Meta Platforms, Inc.",
        first_party=(TrackerKey("_fbp"), TrackerKey("_fbc")),
        third_party=("fr", "datr", "sb"),
        vendor_domain="facebook.com",
        cross_border=True,
        clear_prefixes=(TrackerKey("_fbp"), TrackerKey("_fbc")),
    ),
}
