"""Rate limits for the intake: per client network and per site, counted in this process."""
import time

from flask import current_app
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


def within_limits(client_key, site_id, per_client, per_site):
    """Count one report; return the seconds to wait when a limit is exceeded, else 0."""
    limiter = current_app.extensions.setdefault(
        "consent_gate.rate_limiter", MovingWindowRateLimiter(MemoryStorage()))
    for item, key in ((parse(per_client), f"client:{client_key}"),
                      (parse(per_site), f"site:{site_id}")):
        if not limiter.hit(item, key):
            reset = limiter.get_window_stats(item, key).reset_time
            return max(1, int(reset - time.time()))
    return 0
