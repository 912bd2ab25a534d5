"""Browser fixtures: Debian's Chromium driven by Playwright, and a live server of the app."""
import shutil
import threading
from pathlib import Path

import pytest
import yaml
from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from app.accounts.service import create_user
from app.evidence.capture import CHROMIUM_ARGS
from app.extensions import db
from app.ledger.checkpoints import generate_key
from app.publishing import publish_site
from app.signing import signing_key_path
from app.sites.files import load_site_file, parse_site_document, site_files
from tests.banner_harness import READY_SCRIPT, SERVICE_HOST, HostPage, host_html, route_host

FIXTURES = Path(__file__).parent / "fixtures"

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """Launch Debian's Chromium once per run."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing; `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser context and page; console errors fail the test."""
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"browser console errors: {errors}"


#: Console accounts of the live server; the console shop is theirs alone, so edits stay local.
CONSOLE_PASSWORD = "correct horse battery staple"
#: The console as browsers reach it through the proxy (route_host).
CONSOLE_URL = f"https://{SERVICE_HOST}/console"
CONSOLE_USERS = [("owner@consoleshop.example.com", "owner", ("consoleshop",)),
                 ("auditor@consoleshop.example.com", "auditor", ()),
                 ("admin@consoleshop.example.com", "admin", ())]


def console_shop_spec():
    """Return the test shop under another id and origin, for tests that change it."""
    document = yaml.safe_load((FIXTURES / "testshop.yaml").read_text(encoding="utf-8"))
    document.update(id="consoleshop", name="Console Shop", origins=["https://www.consoleshop.test"])
    return parse_site_document(document, "consoleshop")


class LiveServer(str):
    """The live server's base URL (its console's), with its app for tests that change a site
    they own and the URL of its demo pages (another host, the same server)."""

    def __new__(cls, url, app, demo):
        server = super().__new__(cls, url)
        server.app = app
        server.demo = demo
        return server

    def publish(self, spec):
        """Save a site on the live server as the console or an import would."""
        with self.app.app_context():
            publish_site(db.session, spec)
            db.session.commit()


#: Loginom as it would be once its cross-border notice is filed, under an id of its own.
LOGINOM_FILED = "loginom-filed"


def loginom_filed_spec():
    """Return the loginom sample with a filed cross-border notice, as site loginom-filed."""
    from tests.conftest import SAMPLE_SITES

    document = yaml.safe_load((SAMPLE_SITES / "loginom.yaml").read_text(encoding="utf-8"))
    document.update(id=LOGINOM_FILED, origins=[f"https://www.{LOGINOM_FILED}.test"],
                    cross_border_notice={"filed": "2025-06-01", "reference": "RKN test",
                                         "localisation_assessed": True})
    return parse_site_document(document, LOGINOM_FILED)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """Serve the app with the sample sites on SQLite in a background thread; yield its base URL."""
    from tests.conftest import SAMPLE_SITES, make_test_app

    folder = tmp_path_factory.mktemp("live")
    # The port is known once the server listens; the app it serves is built after that.
    served = {}
    server = make_server("127.0.0.1", 0, lambda environ, start: served["app"](environ, start),
                         threaded=True)
    # As make run serves it: the demo pages on localhost, the console on 127.0.0.1.
    demo = f"http://localhost:{server.server_port}"
    app = make_test_app(f"sqlite:///{folder / 'live.sqlite3'}", folder / "instance",
                        TRUSTED_PROXIES=1, DEMO_URL=demo)
    served["app"] = app
    generate_key(signing_key_path(app))  # as make run's `ledger keygen` does
    with app.app_context():
        upgrade()
        for path in [*site_files(SAMPLE_SITES), FIXTURES / "testshop.yaml"]:
            publish_site(db.session, load_site_file(path))
        publish_site(db.session, console_shop_spec())
        publish_site(db.session, loginom_filed_spec())
        for email, role, sites in CONSOLE_USERS:
            create_user(db.session, email, CONSOLE_PASSWORD, role, sites, method="scrypt:1024:8:1")
        db.session.commit()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{server.server_port}", app, demo)
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def host_page(browser, live_server):
    """Factory: open a host page of a site on https://www.<site>.test that embeds the banner."""
    contexts = []

    def open_page(site_id="testshop", lang="en", locale="en-US", head="", body="", csp=None,
                  nonce=None, gpc=False, embed_src=None, path="/", phone=False):
        # A phone as the issue measures it: 390 x 844 CSS pixels, touch, mobile viewport.
        device = {"viewport": {"width": 390, "height": 844}, "is_mobile": True,
                  "has_touch": True} if phone else {}
        context = browser.new_context(locale=locale, **device)
        contexts.append(context)
        if gpc:
            context.add_init_script(
                "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', "
                "{get: () => true})")
        host = f"www.{site_id}.test"
        src = embed_src or f"https://{SERVICE_HOST}/c/{site_id}.js"
        log = route_host(context, host, lambda _path: host_html(src, lang, head, body, nonce),
                         live_server, csp)
        context.add_init_script(READY_SCRIPT)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        url = f"https://{host}{path}"
        visit = HostPage(page=page, context=context, url=url, tracker_requests=log).watch_network()
        page.goto(url)
        page.errors = errors
        return visit

    yield open_page
    for context in contexts:
        # Reports may still be in flight when a test ends; they need no answer any more.
        context.unroute_all(behavior="ignoreErrors")
        context.close()


@pytest.fixture
def console_context(browser, live_server):
    """Factory: a browser context that reaches the console through the proxy as client, or the
    server itself when client is None."""
    contexts = []

    def open_context(client=None):
        context = browser.new_context()
        contexts.append(context)
        if client:
            # Each test's clients come from networks of their own: logins are limited per network.
            route_host(context, "no-host.test", lambda _path: "", live_server, client=client)
        return context

    yield open_context
    for context in contexts:
        context.unroute_all(behavior="ignoreErrors")
        context.close()


def console_log_in(context, email, password=CONSOLE_PASSWORD, console=CONSOLE_URL):
    """Open the login page in a new tab of context, log in and return the tab on the dashboard."""
    tab = context.new_page()
    tab.goto(f"{console}/login")
    tab.fill("#email", email)
    tab.fill("#password", password)
    tab.click("#submit")
    tab.wait_for_url(f"{console}/")
    return tab
