"""Rate limits for the intake: per client network and per site, counted in this process.

A moving window per key: the times of the hits within the last window, oldest first. Each hit
costs O(1) (limits' MemoryStorage inserts at the front of a list and starts a timer thread, which
cost more than the rest of a consent report under load).
"""
import threading
import time
from collections import deque
from functools import lru_cache

from flask import current_app
from limits import parse

#: Sweep keys with no hit inside their window once this many keys are tracked.
SWEEP_AT = 10_000


@lru_cache(maxsize=64)
def _window(limit):
    item = parse(limit)
    return item.amount, item.get_expiry()


class MovingWindow:
    """Hits per key within the last window; thread-safe."""

    def __init__(self):
        self.hits = {}
        self.lock = threading.Lock()

    def hit(self, key, limit):
        """Count a hit; return 0, or the seconds to wait when the key is over its limit."""
        amount, window = _window(limit)
        now = time.monotonic()
        with self.lock:
            entry = self.hits.get(key)
            if entry is None:
                if len(self.hits) >= SWEEP_AT:
                    self._sweep(now)
                entry = self.hits[key] = (deque(), window)
            hits = entry[0]
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) >= amount:
                return max(1, int(hits[0] + window - now + 0.999))
            hits.append(now)
            return 0

    def _sweep(self, now):
        stale = [key for key, (hits, window) in self.hits.items()
                 if not hits or hits[-1] <= now - window]
        for key in stale:
            del self.hits[key]


def within_limits(client_key, site_id, per_client, per_site):
    """Count one report; return the seconds to wait when a limit is exceeded, else 0."""
    window = current_app.extensions.get("consent_gate.rate_limiter")
    if window is None:
        window = current_app.extensions.setdefault("consent_gate.rate_limiter", MovingWindow())
    for limit, key in ((per_client, f"client:{client_key}"), (per_site, f"site:{site_id}")):
        wait = window.hit(key, limit)
        if wait:
            return wait
    return 0
