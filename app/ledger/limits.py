"""Rate limits for the intake: per client network and per site, counted in this process (no Flask).

A moving window per key: the times of the hits within the last window, oldest first. Each hit
costs O(1) (limits' MemoryStorage inserts at the front of a list and starts a timer thread, which
cost more than the rest of a consent report under load).
"""
import threading
import time
from collections import deque
from functools import lru_cache

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


class ReportLimiter:
    """Count reports per client network and per site; limits are read from settings at every
    report (the app's config), so a changed limit applies at once."""

    def __init__(self, settings, window=None):
        self.settings, self.window = settings, window or MovingWindow()

    def wait(self, client_network, site_id):
        """Count one report; return the seconds to wait when a limit is exceeded, else 0."""
        for limit, key in ((self.settings["RATE_LIMIT_CLIENT"], f"client:{client_network}"),
                           (self.settings["RATE_LIMIT_SITE"], f"site:{site_id}")):
            wait = self.window.hit(key, limit)
            if wait:
                return wait
        return 0
