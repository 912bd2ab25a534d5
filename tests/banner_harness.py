"""Browser harness for the banner: host pages on made-up domains, trackers answered by stubs."""
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

STUBS = Path(__file__).parent / "stubs"
TRACKER_HOSTS = ("mc.yandex.ru", "www.googletagmanager.com", "www.google-analytics.com",
                 "connect.facebook.net", "www.facebook.com")
STUB_SCRIPTS = {
    ("mc.yandex.ru", "/metrika/tag.js"): "yandex-tag.js",
    ("www.googletagmanager.com", "/gtag/js"): "gtag.js",
    ("connect.facebook.net", "/en_US/fbevents.js"): "fbevents.js",
}
TRACKER_COOKIE_PREFIXES = ("_ym", "_ga", "_fbp", "_fbc")
#: The service as a host page sees it: a public https host proxied to the live test server.
SERVICE_HOST = "consent.gate.test"
DOWN_HOST = "down.gate.test"
#: The network counts as idle after this long with no request (Playwright's networkidle: 500 ms).
QUIET_MS = 300
#: Notes when the banner says it is ready: consent read, trackers started or kept back.
READY_SCRIPT = "addEventListener('consent:ready', () => { window.__consentReady = true; })"
PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c000000000100010000"
                      "02024401003b")


@dataclass
class HostPage:
    """A visitor's tab on a host site, with every tracker request it made."""

    page: object
    context: object
    url: str
    tracker_requests: list = field(default_factory=list)
    #: Requests the page has in flight, and when the last one started or ended (monotonic s).
    in_flight: set = field(default_factory=set)
    last_activity: list = field(default_factory=lambda: [time.monotonic()])

    def watch_network(self):
        """Track the page's requests, so settle() can tell when the network is idle."""
        def started(request):
            self.in_flight.add(request)
            self.last_activity[0] = time.monotonic()

        def ended(request):
            self.in_flight.discard(request)
            self.last_activity[0] = time.monotonic()

        self.page.on("request", started)
        self.page.on("requestfinished", ended)
        self.page.on("requestfailed", ended)
        return self

    def settle(self, banner=True, quiet_ms=QUIET_MS):
        """Wait for the banner's consent:ready (unless no banner can start), then for the network
        to be idle: no request in flight and none started for quiet_ms. Whatever the page would
        load has asked for by then."""
        if banner:
            self.page.wait_for_function("window.__consentReady === true")
        deadline = time.monotonic() + 15
        while self.in_flight or time.monotonic() - self.last_activity[0] < quiet_ms / 1000:
            if time.monotonic() > deadline:
                raise AssertionError(f"the network did not go idle: {len(self.in_flight)} "
                                     "request(s) in flight")
            self.page.wait_for_timeout(25)  # lets Playwright deliver the network events

    def banner(self):
        """Return a locator of the banner dialog inside its shadow root."""
        return self.page.locator("#consent-gate .dialog")

    def click(self, action):
        """Click a banner button by its data-action."""
        self.page.locator(f'#consent-gate [data-action="{action}"]').click()

    def tracker_cookies(self):
        """Return the names of tracker cookies the browser holds for the site."""
        return sorted(c["name"] for c in self.context.cookies()
                      if c["name"].startswith(TRACKER_COOKIE_PREFIXES))

    def tracker_storage(self):
        """Return tracker keys in localStorage and sessionStorage."""
        return self.page.evaluate("""() => [localStorage, sessionStorage].flatMap(
            s => Object.keys(s)).filter(k => k.startsWith('_ym') || k.startsWith('_ga'))""")

    def requests_to(self, fragment):
        """Return the tracker requests whose URL contains fragment."""
        return [url for url in self.tracker_requests if fragment in url]


def host_html(embed_src, lang="en", head="", body="", nonce=None):
    """Return a host page that embeds the banner as a site owner would."""
    nonce_attribute = f' nonce="{nonce}"' if nonce else ""
    return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Host page</title><script src="{embed_src}" async{nonce_attribute}></script>{head}</head>
<body><h1>Host page</h1><p><a href="#" data-consent-open>Cookie settings</a></p>
<button id="outside">Outside button</button>{body}</body></html>"""


def route_host(context, host, html_for, service_url, csp=None, client="203.0.113.7"):
    """Serve host pages for host, proxy the service, answer trackers with stubs; return the log.

    client is the address the proxy names as the browser's (logins are rate-limited per network).
    """
    log = []

    def handle(route):
        request = route.request
        parts = urlsplit(request.url)
        if parts.hostname == SERVICE_HOST:
            # Like a reverse proxy in front of the service: it names the public host and client.
            target = service_url + parts.path + (f"?{parts.query}" if parts.query else "")
            headers = {**request.headers, "x-forwarded-host": SERVICE_HOST,
                       "x-forwarded-proto": "https", "x-forwarded-for": client}
            # Redirects go back to the browser, which follows them as it would from the service.
            return route.fulfill(response=route.fetch(url=target, headers=headers, max_redirects=0))
        if parts.hostname == DOWN_HOST:
            return route.abort("connectionrefused")
        if parts.hostname in TRACKER_HOSTS:
            log.append(request.url)
            stub = STUB_SCRIPTS.get((parts.hostname, parts.path))
            if stub:
                return route.fulfill(body=(STUBS / stub).read_text(),
                                     content_type="text/javascript")
            return route.fulfill(body=PIXEL, content_type="image/gif")
        if parts.hostname == host:
            headers = {"Content-Security-Policy": csp} if csp else {}
            return route.fulfill(body=html_for(parts.path), content_type="text/html",
                                 headers=headers)
        return route.continue_()

    context.route("**/*", handle)
    return log
