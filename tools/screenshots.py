"""Photograph the banner and the console for the README: python tools/screenshots.py [FOLDER].

Serves the app with the sample sites on a throwaway SQLite database, as `make run` would (demo pages
on localhost, the console on 127.0.0.1), lets a few visitors choose on the demo pages so the
console has records and statistics to show, and writes PNG files with Playwright and Debian's
Chromium. `make screenshots` runs it; the README embeds what it writes.
"""
import logging
import secrets
import sys
import tempfile
import threading
from pathlib import Path

from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.accounts.service import create_user  # noqa: E402
from app.evidence.capture import CHROMIUM_ARGS  # noqa: E402
from app.extensions import db  # noqa: E402
from app.ledger.checkpoints import generate_key  # noqa: E402
from app.publishing import publish_site  # noqa: E402
from app.signing import signing_key_path  # noqa: E402
from app.sites.files import load_site_file, site_files  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SITE = "familami"
ADMIN, PASSWORD = "admin@example.com", secrets.token_urlsafe(18)
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
#: Tracker hosts answer with an empty script: there is no internet, and the shots need none.
TRACKER_HOSTS = ("mc.yandex.ru", "mc.yandex.com", "www.googletagmanager.com",
                 "www.google-analytics.com", "connect.facebook.net", "www.facebook.com")


def serve(folder):
    """Start the app on a free port in a thread; return (console URL, demo URL, server)."""
    served = {}
    server = make_server("127.0.0.1", 0, lambda environ, start: served["app"](environ, start),
                         threaded=True)
    port = server.server_port
    app = create_app(test_config={
        "DEV": True, "SECRET_KEY": secrets.token_hex(32), "SCREENSHOTS": "off",
        "DATABASE_URL": f"sqlite:///{folder / 'shots.sqlite3'}",
        "PUBLIC_URL": f"http://127.0.0.1:{port}", "DEMO_URL": f"http://localhost:{port}"},
        instance_path=folder / "instance")
    served["app"] = app
    generate_key(signing_key_path(app))
    with app.app_context():
        upgrade()
        for path in site_files(ROOT / "sites"):
            publish_site(db.session, load_site_file(path))
        create_user(db.session, ADMIN, PASSWORD, "admin")
        db.session.commit()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}", f"http://localhost:{port}", server


def context(browser, device, language):
    """Open a context of a device in a language, with the tracker hosts answered locally."""
    opened = browser.new_context(**device, locale=language,
                                 extra_http_headers={"Accept-Language": language})
    for host in TRACKER_HOSTS:
        opened.route(f"https://{host}/**", lambda route: route.fulfill(
            status=200, content_type="application/javascript", body=""))
    return opened


def banner_shots(browser, demo, out):
    """The first layer and the settings layer, desktop and phone, in English and Russian."""
    for language in ("en", "ru"):
        for device_name, device in (("desktop", DESKTOP), ("phone", PHONE)):
            with context(browser, device, language) as opened:
                page = opened.new_page()
                page.goto(f"{demo}/demo/{SITE}?lang={language}")
                page.locator('#consent-gate [data-action="accept"]').wait_for()
                page.wait_for_timeout(600)  # the entrance animation
                page.screenshot(path=out / f"banner-{device_name}-{language}.png")
                page.locator('#consent-gate [data-action="settings"]').click()
                page.wait_for_timeout(400)
                page.screenshot(path=out / f"settings-{device_name}-{language}.png")


def visitors(browser, demo):
    """Let a few visitors choose, so the console has records and statistics."""
    for number in range(9):
        with context(browser, DESKTOP, "ru" if number % 3 else "en") as opened:
            page = opened.new_page()
            page.goto(f"{demo}/demo/{SITE}")
            action = ("accept", "reject", "accept")[number % 3]
            page.locator(f'#consent-gate [data-action="{action}"]').click()
            page.wait_for_timeout(300)


def console_shots(browser, console, out):
    """The site page, its statistics and one record, in English."""
    with context(browser, DESKTOP, "en") as opened:
        page = opened.new_page()
        page.goto(f"{console}/console/login")
        page.fill("input[name=email]", ADMIN)
        page.fill("input[name=password]", PASSWORD)
        page.locator("form [type=submit]").first.click()
        page.wait_for_url(f"{console}/console/**")
        for name, path in (("console-site", f"/console/sites/{SITE}"),
                           ("console-stats", f"/console/sites/{SITE}/stats")):
            page.goto(console + path)
            page.screenshot(path=out / f"{name}.png", full_page=True)
        page.goto(f"{console}/console/records?site={SITE}")
        page.locator("a[href*='/console/records/']").first.click()
        page.wait_for_load_state()
        page.screenshot(path=out / "console-record.png", full_page=True)


def main(folder=ROOT / "docs" / "screenshots"):
    """Serve the demo, photograph it and write the PNG files into folder."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    console, demo, server = serve(Path(tempfile.mkdtemp(prefix="consent-shots-")))
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            banner_shots(browser, demo, out)
            visitors(browser, demo)
            console_shots(browser, console, out)
            browser.close()
    finally:
        server.shutdown()
    for path in sorted(out.glob("*.png")):
        print(f"{path}  {path.stat().st_size:,} B")


if __name__ == "__main__":
    main(*sys.argv[1:])
