"""What a browser context asked of the network while the scanner watched (Playwright objects)."""
import time
from urllib.parse import urlsplit

#: The network counts as settled after this long without a request.
QUIET_S = 0.5
#: A page that never settles (polling, streaming) is read after this long.
SETTLE_LIMIT_S = 10


class Network:
    """A context's requests: hosts asked, requests in flight, Set-Cookie answers."""

    def __init__(self, context):
        self.hosts, self.in_flight, self.responses = set(), set(), []
        #: host -> the first URL asked of it
        self.first_requests = {}
        self.last = time.monotonic()
        context.on("request", self._started)
        context.on("requestfinished", self._ended)
        context.on("requestfailed", self._ended)
        context.on("response", lambda response: self.responses.append((_now_ms(), response)))

    def _started(self, request):
        host = urlsplit(request.url).hostname
        self.hosts.add(host)
        self.first_requests.setdefault(host, request.url)
        self.in_flight.add(request)
        self.last = time.monotonic()

    def _ended(self, request):
        self.in_flight.discard(request)
        self.last = time.monotonic()

    def settle(self, page):
        """Wait until no request is in flight and none started for QUIET_S (at most SETTLE_LIMIT_S)."""
        deadline = time.monotonic() + SETTLE_LIMIT_S
        while (self.in_flight or time.monotonic() - self.last < QUIET_S) and (
                time.monotonic() < deadline):
            page.wait_for_timeout(50)  # lets Playwright deliver the network events

    def cookie_writers(self):
        """Return {cookie name: (ms, response URL)} of the Set-Cookie headers seen."""
        writers = {}
        for moment, response in self.responses:
            try:
                values = response.header_values("set-cookie")
            except Exception:  # noqa: BLE001  a response of a closed frame has no headers
                continue
            for value in values:
                writers[value.split("=", 1)[0].strip()] = (moment, response.url)
        return writers

    def request_within(self, domain):
        """Return the first URL asked of a host within a cookie's domain, or None."""
        bare = (domain or "").lstrip(".")
        return next((url for host, url in self.first_requests.items()
                     if host and bare and (host == bare or host.endswith(f".{bare}"))), None)


def _now_ms():
    return time.time() * 1000
