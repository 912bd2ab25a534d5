"""What the banner itself writes in a visitor's browser, declared by the service (no Flask).

Every site's mandatory category shows these rows without the owner listing them, so the
settings layer and the catalog check account for the gate's own storage (ePrivacy Art. 5(3):
strictly necessary, but still declared). The names match static/banner/consent-gate.js.
"""
from dataclasses import dataclass

from app.sites.kinds import StorageKind
from app.sites.texts import N_

#: The consent cookie outlives the consent by this much (writeConsent in consent-gate.js), so
#: the banner can say that a choice expired; browsers cap any cookie at 400 days.
COOKIE_GRACE_DAYS = 30
COOKIE_CAP_DAYS = 400


@dataclass(frozen=True)
class GateKey:
    """One cookie or storage key of the gate's own."""

    name: str
    storage: StorageKind
    purpose: str
    #: A fixed lifetime text, or None: the consent cookie's lifetime follows the site's.
    lifetime: str | None = None


GATE_STORAGE = (
    GateKey("cg_consent", StorageKind.COOKIE, N_(
        "Remembers your cookie choice, with the random identifiers and the receipt that let you "
        "prove it.")),
    GateKey("cg_outbox", StorageKind.LOCAL_STORAGE, N_(
        "Keeps a choice until the consent service confirms it has recorded it; then it is "
        "emptied."), lifetime=N_("Until the choice is recorded")),
)


def consent_cookie_days(consent_lifetime_days):
    """Return how many days the consent cookie can stay in the browser."""
    return min(COOKIE_CAP_DAYS, consent_lifetime_days + COOKIE_GRACE_DAYS)


def gate_key_for(name):
    """Return the gate's own key of this name, or None."""
    return next((key for key in GATE_STORAGE if key.name == name), None)
