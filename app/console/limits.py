"""Login rate limits, per client network and per e-mail, so passwords cannot be guessed fast."""
import hashlib
import time

from flask import current_app
from limits import parse

from app.ledger.client import anonymize_ip
from app.runtime import runtime


def login_wait_seconds(address, email):
    """Count one login attempt; return seconds to wait when a limit is exceeded, else 0."""
    limiter = runtime().login_limiter
    limit = parse(current_app.config["RATE_LIMIT_LOGIN"])
    # Keys hold neither the raw address nor the e-mail.
    network = anonymize_ip(address, "truncate", b"") or "unknown"
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]
    for key in (f"login-net:{network}", f"login-account:{account}"):
        if not limiter.hit(limit, key):
            return max(1, int(limiter.get_window_stats(limit, key).reset_time - time.time()))
    return 0
