"""Login rate limits, per client network and per e-mail, so passwords cannot be guessed fast."""
import hashlib
import unicodedata

from flask import current_app

from app.ledger.client import anonymize_ip
from app.runtime import runtime


def login_wait_seconds(address, email):
    """Count one login attempt; return seconds to wait when a limit is exceeded, else 0."""
    limit = current_app.config["RATE_LIMIT_LOGIN"]
    # Keys hold neither the raw address nor the e-mail.
    network = anonymize_ip(address, "truncate", b"") or "unknown"
    for key in (f"login-net:{network}", f"login-account:{account_key(email)}"):
        wait = runtime().rate_window.hit(key, limit)
        if wait:
            return wait
    return 0


def account_key(email):
    """Return the key every spelling of one e-mail address counts under.

    Fullwidth and other compatibility forms (NFKC), case (casefold) and spaces anywhere, the
    variants an attacker could cycle through to get a fresh budget, all map to one key.
    """
    folded = unicodedata.normalize("NFKC", email or "").casefold()
    canonical = "".join(unicodedata.normalize("NFKC", folded).split())
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
