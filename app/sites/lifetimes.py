"""Cookie lifetimes as people write them: "session" or "<N> <unit>"."""
import re
from datetime import timedelta

SESSION = "session"
#: Storage that stays until the site or the visitor deletes it (localStorage).
PERSISTENT = "persistent"
UNIT_SECONDS = {
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "month": 30 * 86400,
    "year": 365 * 86400,
}
_LIFETIME = re.compile(r"^\s*(\d{1,5})\s*(minute|hour|day|month|year)s?\s*$", re.IGNORECASE)


def normalize_lifetime(value):
    """Return the canonical spelling of a lifetime, or raise ValueError naming the accepted forms."""
    text = str(value).strip()
    if text.lower() in (SESSION, PERSISTENT):
        return text.lower()
    match = _LIFETIME.match(text)
    if not match:
        raise ValueError(
            f"lifetime {text!r} is not 'session', 'persistent' or '<N> minutes|hours|days|months|years'"
        )
    count, unit = int(match.group(1)), match.group(2).lower()
    if count == 0:
        raise ValueError("lifetime must be longer than zero; use 'session' for session cookies")
    return f"{count} {unit}{'s' if count != 1 else ''}"


def lifetime_delta(lifetime):
    """Return a canonical lifetime as a timedelta, or None when it has no fixed length."""
    if lifetime in (SESSION, PERSISTENT):
        return None
    count, unit = lifetime.split()
    return timedelta(seconds=int(count) * UNIT_SECONDS[unit.rstrip("s")])
