"""A made-up host for the demo pages while they are scanned, trackers answered by stubs."""
from contextlib import contextmanager
from urllib.parse import urlsplit

from tests.banner_harness import PIXEL, STUB_SCRIPTS, STUBS, TRACKER_HOSTS

#: The demo pages as the scanner reaches them: a public https host proxied to the live server,
#: so the stub trackers can set their cookies on its parent domain (not on 127.0.0.1).
SCAN_HOST = "www.familami.test"
#: The third-party cookie Yandex's hit answers set on its own domain (stub of mc.yandex.ru).
YANDEX_COOKIE = "yandexuid=4242; Domain=.yandex.ru; Path=/; Max-Age=31536000; SameSite=None; Secure"


def scan_intercept(live_server, host=SCAN_HOST, robots=None):
    """Return a scanner intercept: host proxies to the live server (robots.txt answered with
    robots when given), trackers get stubs."""
    def intercept(route):
        request = route.request
        parts = urlsplit(request.url)
        if parts.hostname == host and parts.path == "/robots.txt" and robots is not None:
            route.fulfill(body=robots, content_type="text/plain")
            return True
        if parts.hostname == host:
            target = live_server + parts.path + (f"?{parts.query}" if parts.query else "")
            headers = {**request.headers, "x-forwarded-host": host, "x-forwarded-proto": "https",
                       "x-forwarded-for": "203.0.113.7"}
            route.fulfill(response=route.fetch(url=target, headers=headers, max_redirects=0))
            return True
        if parts.hostname in TRACKER_HOSTS:
            stub = STUB_SCRIPTS.get((parts.hostname, parts.path))
            if stub:
                route.fulfill(body=(STUBS / stub).read_text(), content_type="text/javascript")
            else:
                headers = {"set-cookie": YANDEX_COOKIE} if parts.hostname == "mc.yandex.ru" else {}
                route.fulfill(body=PIXEL, content_type="image/gif", headers=headers)
            return True
        route.abort("internetdisconnected")  # nothing else exists for a test
        return True

    return intercept


@contextmanager
def scanned_demo_host(app, host):
    """Make host the demo pages' own host while a scan runs (they redirect there otherwise)."""
    before = app.config["DEMO_URL"]
    app.config["DEMO_URL"] = f"https://{host}"
    try:
        yield
    finally:
        app.config["DEMO_URL"] = before
