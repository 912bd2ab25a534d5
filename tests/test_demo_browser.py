"""The demo pages in a real browser: they render, obey their CSP and show the embed code."""
import pytest

from app.extensions import db
from app.sites.repository import SiteRepository

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("site_id", "language", "headline"), [
    ("flomni", "ru-RU", "Все диалоги с клиентами в одном окне"),
    ("familami", "en-US", "A marketplace of small family shops"),
    ("loginom", "ru-RU", "Low-code-аналитика для всех"),
])
def test_demo_page_renders_in_chromium(browser, live_server, site_id, language, headline):
    context = browser.new_context(locale=language)
    page = context.new_page()
    violations = []
    page.on("console", lambda message: message.type == "error" and violations.append(message.text))
    response = page.goto(f"{live_server.demo}/demo/{site_id}")
    assert response.status == 200
    assert page.locator("h1").inner_text() == headline
    snippet = page.locator("#embed-snippet").inner_text()
    # Without CONSENT_PUBLIC_URL the live server names the host it was asked at: the demo one.
    assert snippet == (f'<link rel="preconnect" href="{live_server.demo}">\n'
                       f'<script src="{live_server.demo}/c/{site_id}.js" async></script>')
    # The stylesheet loaded under the strict CSP: the header is laid out as flex.
    display = page.eval_on_selector(".site-header .container", "e => getComputedStyle(e).display")
    assert display == "flex"
    assert violations == []
    context.close()


def test_demo_index_links_every_sample(page, live_server):
    page.goto(f"{live_server.demo}/demo/")
    links = page.locator(".site-list a")
    # Every site of the live server: the five samples and those the tests add.
    with live_server.app.app_context():
        site_ids = [site.id for site in SiteRepository(db.session).list()]
    assert sorted(link.rsplit("/", 1)[1] for link in links.evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")) == sorted(site_ids)
    assert {"flomni", "oomnis", "familami", "sens", "loginom"} <= set(site_ids)
    page.locator(".site-list a[href$='/demo/familami']").click()
    page.wait_for_url(f"{live_server.demo}/demo/familami")
