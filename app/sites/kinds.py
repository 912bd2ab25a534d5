"""The fixed vocabularies of a site file: regimes, modes, match and storage kinds (no Flask)."""
from enum import StrEnum

#: The provider of an item the site itself sets.
FIRST_PARTY = "first_party"


class GpcMode(StrEnum):
    """What a Global Privacy Control signal means for a site."""

    REFUSE = "refuse"
    IGNORE = "ignore"


class GoogleConsentMode(StrEnum):
    """Whether gtag.js waits for consent (basic) or loads before it (advanced)."""

    BASIC = "basic"
    ADVANCED = "advanced"


class IpMode(StrEnum):
    """How consent records keep the visitor's address."""

    TRUNCATE = "truncate"
    HASH = "hash"


class Regime(StrEnum):
    """A legal regime the banner and the proof must satisfy."""

    RU152 = "ru152"
    GDPR = "gdpr"


class MatchKind(StrEnum):
    """How a catalog item's name is compared with a cookie or storage key."""

    EXACT = "exact"
    PREFIX = "prefix"
    REGEX = "regex"


class StorageKind(StrEnum):
    """Where a catalog item lives in the browser."""

    COOKIE = "cookie"
    LOCAL_STORAGE = "localStorage"
    SESSION_STORAGE = "sessionStorage"
    PIXEL = "pixel"
