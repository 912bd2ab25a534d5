"""Moving-window rate limits, counted in this process or in a storage every node shares (no Flask).

Both kinds answer `hit(key, limit)` with 0, or the seconds to wait once the key is over its limit.
The default counts in process memory, which is right for one process (`make run`). N processes
on M nodes would allow N x M times each limit, so production points CONSENT_RATE_LIMIT_STORAGE
at one Redis: every hit of every process then counts against the same window.
"""
import logging
import math
import threading
import time
from collections import deque
from functools import lru_cache
from urllib.parse import urlsplit

from limits import parse
from limits.errors import ConfigurationError, StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

#: Sweep keys with no hit inside their window once this many keys are tracked.
SWEEP_AT = 10_000
#: Keys in the shared storage start with this, so one Redis can serve other programs too.
KEY_PREFIX = "consent-gate"
#: A storage that fails is reported at most once per this many seconds, not once per request.
WARN_EVERY = 60
IN_PROCESS = ("", "memory://")


class LimitStorageError(Exception):
    """The limit storage setting is malformed; the message names the setting."""


@lru_cache(maxsize=64)
def _window(limit):
    item = parse(limit)
    return item.amount, item.get_expiry()


class MovingWindow:
    """Hits per key within the last window, in this process; thread-safe.

    The times of each key's hits within its window, oldest first: O(1) per hit (limits'
    MemoryStorage inserts at the front of a list and starts a timer thread per key, which cost
    more than the rest of a consent report under load).
    """

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
                return max(1, math.ceil(hits[0] + window - now))
            hits.append(now)
            return 0

    def check(self):
        """Tell whether the storage answers (memory always does)."""
        return True

    def _sweep(self, now):
        stale = [key for key, (hits, window) in self.hits.items()
                 if not hits or hits[-1] <= now - window]
        for key in stale:
            del self.hits[key]


class SharedWindow:
    """Moving windows kept by limits in a storage every process and node shares (e.g. Redis).

    When the storage cannot be reached, hits are counted in this process instead, so limits
    still hold per process, and the failure is logged; a report is never lost to a limiter.
    """

    def __init__(self, uri):
        try:
            self.storage = storage_from_string(uri, key_prefix=KEY_PREFIX, wrap_exceptions=True)
        except ConfigurationError as error:
            raise LimitStorageError(f"CONSENT_RATE_LIMIT_STORAGE: {error}") from None
        self.strategy = MovingWindowRateLimiter(self.storage)
        self.fallback = MovingWindow()
        self.where = describe_storage(uri)
        self.warned_at = -math.inf

    def hit(self, key, limit):
        """Count a hit; return 0, or the seconds to wait when the key is over its limit."""
        item = parse(limit)
        try:
            if self.strategy.hit(item, key):
                return 0
            reset = self.strategy.get_window_stats(item, key).reset_time
        except StorageError as error:
            self._warn(error)
            return self.fallback.hit(key, limit)
        return max(1, math.ceil(reset - time.time()))

    def check(self):
        """Tell whether the shared storage answers."""
        try:
            return bool(self.storage.check())
        except StorageError:
            return False

    def _warn(self, error):
        now = time.monotonic()
        if now - self.warned_at >= WARN_EVERY:
            self.warned_at = now
            log.warning("rate limits: %s does not answer (%s); counting in this process",
                        self.where, type(getattr(error, "storage_error", error)).__name__)


def rate_window(uri):
    """Return the window that CONSENT_RATE_LIMIT_STORAGE names: this process's, or a shared one."""
    uri = (uri or "").strip()
    if uri in IN_PROCESS:
        return MovingWindow()
    if "://" not in uri:
        raise LimitStorageError(f"CONSENT_RATE_LIMIT_STORAGE must be memory:// or a storage URL "
                                f"such as redis://HOST:6379/0, not {uri!r}")
    return SharedWindow(uri)


def describe_storage(uri):
    """Return the storage URL without its password, for messages and logs."""
    parts = urlsplit(uri)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"
