"""The built-in trackers, declared once: what the site file, the database, the catalog check, the
banner's config and its loaders all read (no Flask inside).

What each really writes comes from its vendor's documentation and source; see
shared/reference/trackers-and-law.md sections 1.5, 1.6, 2.6 and 3.3. A tracker's name is its key
in a site file's `trackers:`, in the sites.trackers column, in the banner's CONFIG.trackers, its
START and the deferred part's STOP: adding one means one entry here, its start and its stop.
"""
from dataclasses import dataclass

from app.sites.kinds import StorageKind
from app.sites.texts import N_

COOKIE, LOCAL, SESSION = (StorageKind.COOKIE, StorageKind.LOCAL_STORAGE,
                          StorageKind.SESSION_STORAGE)
#: Where operators of a ru152 site must keep personal data (152-FZ Art. 18(5)).
RUSSIA = "RU"

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
    """A built-in tracker: how a site switches it on, who runs it, what it leaves behind."""

    name: str
    label: str
    provider: str
    #: ISO 3166 code of the country its provider processes the data in.
    country: str
    #: What its id looks like in a site file (a regular expression).
    id_pattern: str
    #: The console's label of its id field (translated where it is shown).
    id_label: str
    #: The category it waits for unless the catalog files its anchor elsewhere.
    default_category: str
    #: The cookie whose catalog entry says which category the site files the tracker under.
    anchor: str
    #: Keys on the site's domain, which the gate must declare and can delete.
    first_party: tuple[TrackerKey, ...]
    #: Cookies on the vendor's own domain, which no site can read or delete.
    third_party: tuple[str, ...]
    vendor_domain: str
    #: Key prefixes the gate deletes on withdrawal, covering keys the vendor adds later.
    clear_prefixes: tuple[TrackerKey, ...] = ()
    #: Hosts its scripts and hits go to, as the vendor documents them (the scanner and the leak
    #: watch tell it by them).
    hosts: tuple[str, ...] = ()

    @property
    def cross_border(self):
        """Tell whether its data leaves Russia (152-FZ Art. 12)."""
        return self.country != RUSSIA


TRACKERS = {tracker.name: tracker for tracker in (
    Tracker(
        name="yandex_metrica", label="Yandex.Metrica", provider="Yandex LLC", country=RUSSIA,
        id_pattern=r"^\d{5,12}$", id_label=N_("Yandex.Metrica counter"),
        default_category="analytical", anchor="_ym_uid",
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
        clear_prefixes=(TrackerKey("_ym_"), TrackerKey("_ym", LOCAL), TrackerKey("_ym", SESSION)),
        hosts=("mc.yandex.ru", "mc.yandex.com", "yastatic.net"),
    ),
    Tracker(
        name="ga4", label="Google Analytics 4", provider="Google LLC", country="US",
        id_pattern=r"^G-[A-Z0-9]{4,14}$",
        id_label=N_("Google Analytics 4 measurement id"), default_category="analytical", anchor="_ga",
        first_party=(TrackerKey("_ga"), TrackerKey("_ga_{container}")),
        third_party=("NID", "AEC"),
        vendor_domain="google.com",
        clear_prefixes=(TrackerKey("_ga"), TrackerKey("_gcl_"), TrackerKey("_gid")),
        hosts=("www.googletagmanager.com", "www.google-analytics.com",
               "region1.google-analytics.com", "analytics.google.com"),
    ),
    Tracker(
        name="meta_pixel", label="Meta pixel", provider="Meta Platforms, Inc.", country="US",
        id_pattern=r"^\d{8,20}$", id_label=N_("Meta pixel id"), default_category="marketing", anchor="_fbp",
        first_party=(TrackerKey("_fbp"), TrackerKey("_fbc")),
        third_party=("fr", "datr", "sb"),
        vendor_domain="facebook.com",
        clear_prefixes=(TrackerKey("_fbp"), TrackerKey("_fbc")),
        hosts=("connect.facebook.net", "www.facebook.com"),
    ),
)}


def enabled_trackers(trackers):
    """Return (name, id) of each built-in tracker switched on in a {name: id} mapping, in the
    declaration's order."""
    return [(name, trackers[name]) for name in TRACKERS if (trackers or {}).get(name)]


def loadable_trackers(trackers, regime, cross_border_notice=None):
    """Return {name: id} of the enabled trackers the gate may load: on a ru152 site, none whose
    data leaves Russia unless the site states that its Art. 12 cross-border notice was filed."""
    blocked = "ru152" in (regime or ()) and not cross_border_notice
    return {name: tracker_id for name, tracker_id in enabled_trackers(trackers)
            if not (blocked and TRACKERS[name].cross_border)}


def site_loadable_trackers(site):
    """Return {name: id} of the trackers the gate may load for a stored site or a site spec."""
    trackers = site.trackers.as_dict() if hasattr(site.trackers, "as_dict") else site.trackers
    return loadable_trackers(trackers, site.regime, getattr(site, "cross_border_notice", None))


def held_back_trackers(site):
    """Return the names of the enabled trackers the gate holds back (no cross-border notice)."""
    trackers = site.trackers.as_dict() if hasattr(site.trackers, "as_dict") else site.trackers
    loadable = site_loadable_trackers(site)
    return [name for name, _id in enabled_trackers(trackers) if name not in loadable]


@dataclass(frozen=True)
class ConsentKey:
    """A cookie or storage key that exists for analytics or advertising: never mandatory."""

    name: str
    #: "exact", or "prefix" for a family of keys (_ga, _ga_<container>, ...).
    match: str
    label: str
    category: str


def _tracker_keys():
    for tracker in TRACKERS.values():
        for key in tracker.first_party + tracker.clear_prefixes:
            # A key named after the tracker's id is a family of keys up to the id.
            name, templated = key.template.split("{", 1)[0], "{" in key.template
            match = "prefix" if templated or key in tracker.clear_prefixes else "exact"
            yield ConsentKey(name, match, tracker.label, tracker.default_category)


#: Well-known keys of other analytics and advertising vendors (their cookie policies).
OTHER_CONSENT_KEYS = (
    ConsentKey("_gid", "exact", "Google Analytics", "analytical"),
    ConsentKey("_gat", "prefix", "Google Analytics", "analytical"),
    ConsentKey("__utm", "prefix", "Google Analytics", "analytical"),
    ConsentKey("_gcl_", "prefix", "Google Ads", "marketing"),
    ConsentKey("gclid", "exact", "Google Ads", "marketing"),
    ConsentKey("IDE", "exact", "Google Ads", "marketing"),
    ConsentKey("yandexuid", "exact", "Yandex", "marketing"),
    ConsentKey("yclid", "exact", "Yandex Direct", "marketing"),
    ConsentKey("_fbc", "exact", "Meta pixel", "marketing"),
    ConsentKey("_uetsid", "exact", "Microsoft Advertising", "marketing"),
    ConsentKey("_uetvid", "exact", "Microsoft Advertising", "marketing"),
    ConsentKey("_clck", "exact", "Microsoft Clarity", "analytical"),
    ConsentKey("_clsk", "exact", "Microsoft Clarity", "analytical"),
    ConsentKey("_hj", "prefix", "Hotjar", "analytical"),
    ConsentKey("_ttp", "exact", "TikTok pixel", "marketing"),
    ConsentKey("_pin_unauth", "exact", "Pinterest tag", "marketing"),
    ConsentKey("_tmr_", "prefix", "VK Top@Mail.Ru", "analytical"),
)

#: Every key that needs consent, tracker keys first (their label names the built-in tracker).
CONSENT_KEYS = tuple(dict.fromkeys((
    *_tracker_keys(),
    *OTHER_CONSENT_KEYS,
    *(ConsentKey(name, "exact", "known advertising", "marketing")
      for name in ADVERTISING_IDENTIFIERS),
)))
