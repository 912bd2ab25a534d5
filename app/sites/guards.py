"""What a site owner may not change: guards the schema applies to every save (no Flask inside).

Import, the console and the API all validate through SiteSpec, so each guard refuses the same way
there, with the field's path in the message (checklist items 5, 7, 9 and 3 of
shared/reference/trackers-and-law.md §6).
"""
import re
import unicodedata

from app.sites.kinds import GoogleConsentMode, MatchKind, Regime
from app.sites.texts import BANNER_TEXTS
from app.sites.trackers import CONSENT_KEYS

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
#: Button and link labels: they must stay short labels, so Reject all stays a real button.
LABEL_KEYS = ("accept_all", "reject_all", "settings", "privacy_policy", "consent_document")
MAX_LABEL_LENGTH = 40
#: Why a placeholder must stay; any other is filled in by the banner all the same.
PLACEHOLDER_ROLES = {
    "operator": "it names the operator on the first layer",
    "vendors": "it names the vendors on the first layer",
    "days": "it states how long the choice is kept",
}
#: Sample keys a regular expression is tried on for a family of keys (_ga, _ga_ABC, ...).
FAMILY_SUFFIXES = ("", "x", "_x", "1", "_1", "X")


def guard_problems(spec):
    """Return one message per guard the spec breaks, each starting with the field's path."""
    return [*text_problems(spec.texts), *mandatory_problems(spec.catalog.mandatory),
            *consent_mode_problems(spec)]


def text_problems(texts):
    """Return the problems of banner text overrides: lost placeholders, blank or long labels."""
    problems = []
    for language, overrides in texts.items():
        for key, text in overrides.items():
            if key in BANNER_TEXTS:
                problem = _text_problem(key, text)
                if problem:
                    problems.append(f"texts.{language}.{key}: {problem}")
    return problems


def _text_problem(key, text):
    required = set(PLACEHOLDER.findall(BANNER_TEXTS[key]))
    found = set(PLACEHOLDER.findall(text))
    for name in sorted(required - found):
        role = PLACEHOLDER_ROLES.get(name, "the banner fills it in")
        return f"must keep %({name})s ({role})"
    for name in sorted(found - required):
        known = ", ".join(f"%({known})s" for known in sorted(required)) or "none"
        return f"%({name})s is not a placeholder of this text (it has: {known})"
    if not _visible(text):
        return "must not be blank"
    if key in LABEL_KEYS and len(text) > MAX_LABEL_LENGTH:
        return f"is a button or link label: at most {MAX_LABEL_LENGTH} characters"
    try:
        text % dict.fromkeys(required, "")
    except (ValueError, TypeError, KeyError):
        # A lone % would break the banner's substitution: it must be written %%.
        return "has a % that is not a placeholder; write it as %%"
    return None


def _visible(text):
    # Zero-width and other format characters survive strip() but show nothing.
    return any(not char.isspace() and unicodedata.category(char) != "Cf" for char in text)


def mandatory_problems(items):
    """Return a problem for each mandatory catalog item that covers an analytics or advertising
    key: those need consent (checklist item 9)."""
    problems = []
    for index, item in enumerate(items):
        key = next((key for key in CONSENT_KEYS if _covers(item, key)), None)
        if key is not None:
            kind = "cookie" if item.storage.value == "cookie" else "key"
            problems.append(
                f"catalog.mandatory[{index}].name: {item.name!r} is a {key.label} {kind}; it "
                f"needs consent and cannot be mandatory (move it to {key.category})")
    return problems


def _covers(item, key):
    """Tell whether a catalog item's name or pattern reaches a consent key or its family."""
    samples = [key.name] if key.match == "exact" else [key.name + s for s in FAMILY_SUFFIXES]
    if item.match is MatchKind.EXACT:
        return item.name == key.name or (key.match == "prefix" and item.name.startswith(key.name))
    if item.match is MatchKind.PREFIX:
        prefix = item.name.rstrip("*")
        return any(sample.startswith(prefix) for sample in samples) or (
            key.match == "prefix" and prefix.startswith(key.name))
    return any(re.search(item.name, sample) for sample in samples)


def consent_mode_problems(spec):
    """Return the problem of GA4 advanced Consent Mode: gtag.js then loads before consent."""
    if spec.ga4_consent_mode is not GoogleConsentMode.ADVANCED:
        return []
    if Regime.RU152 in spec.regime:
        return ["ga4_consent_mode: advanced loads gtag.js before consent, which 152-FZ does not "
                "allow; use basic"]
    if not spec.ga4_advanced_acknowledged:
        return ["ga4_consent_mode: advanced loads gtag.js before consent (cookieless pings); "
                "set ga4_advanced_acknowledged: true to confirm, or use basic"]
    return []
