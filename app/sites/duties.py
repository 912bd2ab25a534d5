"""What only the site owner can do for compliance, per regime (no Flask).

The gate meets what a script and a ledger can meet; these are the checklist items
(shared/reference/trackers-and-law.md §6, walked in docs/compliance.md) that live in the owner's
pages, filings and other processes. The console's site page and `flask sites check` list them.
"""
from dataclasses import dataclass

from app.sites.kinds import Regime
from app.sites.texts import N_


@dataclass(frozen=True)
class Duty:
    """One thing the owner must do; item is its number in the checklist."""

    code: str
    item: int
    text: str
    #: The regime it belongs to, or None for every site.
    regime: Regime | None = None


DUTIES = (
    Duty("no-noscript", 2, N_(
        "Remove tracker <noscript> images and tracker snippets from your pages: the gate loads "
        "the trackers itself, after consent.")),
    Duty("no-cookie-wall", 10, N_(
        "Keep the site usable after “Reject all”: do not hide content or features from visitors "
        "who refuse.")),
    Duty("separate-consents", 12, N_(
        "Ask for other consents (newsletters, marketing e-mails, forms) separately: this consent "
        "covers only the cookies and trackers of this site's catalog."), Regime.RU152),
    Duty("eu-visitors", 19, N_(
        "If the site also addresses visitors in the EU, add gdpr to its regimes: the GDPR "
        "applies to them as well."), Regime.RU152),
    Duty("localisation", 20, N_(
        "Record, store and update Russian citizens' personal data in databases in Russia first "
        "(152-FZ Art. 18(5)); tracker vendors abroad only receive copies."), Regime.RU152),
    Duty("policy-published", 21, N_(
        "Publish the privacy policy on the site (152-FZ Art. 18.1, GDPR Art. 13) and store its "
        "text here, so that records prove which text was in force.")),
    Duty("rkn-notice", 21, N_(
        "File the notice of personal data processing with Roskomnadzor (152-FZ Art. 22) before "
        "the processing starts."), Regime.RU152),
    Duty("csp", 23, N_(
        "If your pages send a Content-Security-Policy, add the sources that “flask sites csp” "
        "and the site's console page list.")),
)


def owner_duties(regimes):
    """Return the duties of a site under its regimes, in checklist order."""
    return [duty for duty in DUTIES if duty.regime is None or duty.regime in regimes]
