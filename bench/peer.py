"""vanilla-cookieconsent v3, the benchmark's peer: installed from npm, configured as our sites are."""
import json
import subprocess
from pathlib import Path

WORK = Path(__file__).resolve().parent / ".work"
PEER = "vanilla-cookieconsent@3"
#: Our optional categories under the peer's names, in the order the sections list them.
CATEGORIES = {"mandatory": "necessary", "analytical": "analytics", "marketing": "marketing"}
TRACKERS = """
<script type="text/plain" data-category="analytics" src="https://mc.yandex.ru/metrika/tag.js"></script>
<script type="text/plain" data-category="analytics"
        src="https://www.googletagmanager.com/gtag/js?id=G-TEST123456"></script>
<script type="text/plain" data-category="marketing"
        src="https://connect.facebook.net/en_US/fbevents.js"></script>"""
#: Its files as a site serves them, with the cache lifetime our first script has.
CACHE_CONTROL = "public, max-age=300"


def install_peer():
    """Install the peer from the npm registry into bench/.work; return its dist folder."""
    WORK.mkdir(parents=True, exist_ok=True)
    dist = WORK / "node_modules" / "vanilla-cookieconsent" / "dist"
    if not dist.exists():
        subprocess.run(["npm", "install", "--no-save", "--no-audit", "--no-fund", "--prefix",
                        str(WORK), PEER], check=True, capture_output=True)
    return dist


def translation(texts, privacy_url):
    """Return the peer's translation of one of our text sets, so both banners say the same."""
    names = [texts[f"category_{name}"] for name in CATEGORIES if name != "mandatory"]
    return {
        "consentModal": {
            "title": texts["title"],
            "description": f"{texts['intro']} {', '.join(names)}.",
            "acceptAllBtn": texts["accept_all"], "acceptNecessaryBtn": texts["reject_all"],
            "showPreferencesBtn": texts["settings"],
            "footer": f'<a href="{privacy_url}">{texts["privacy_policy"]}</a>'},
        "preferencesModal": {
            "title": texts["settings_title"], "acceptAllBtn": texts["accept_all"],
            "acceptNecessaryBtn": texts["reject_all"], "savePreferencesBtn": texts["save"],
            "closeIconLabel": texts["close"],
            "sections": [{"description": texts["settings_intro"]}] + [
                {"title": texts[f"category_{ours}"], "linkedCategory": theirs,
                 "description": texts[f"about_{ours}"]} for ours, theirs in CATEGORIES.items()]},
    }


def config_script(text_sets, default, privacy_url):
    """Return the peer's config.js: our categories, with every language's texts, as its docs do."""
    config = {
        # The peer hides itself from automated browsers by default; this benchmark is one.
        "hideFromBots": False,
        "categories": {"necessary": {"enabled": True, "readOnly": True}, "analytics": {},
                       "marketing": {}},
        "language": {"default": default, "translations": {
            language: translation(texts, privacy_url) for language, texts in text_sets.items()}},
    }
    return f"CookieConsent.run({json.dumps(config, ensure_ascii=False)});".encode()


def peer_assets(dist, name, config_js):
    """Return {path: (body, content type, cache control)} of the peer's files on the site."""
    return {"/cc/cookieconsent.umd.js": ((dist / "cookieconsent.umd.js").read_bytes(),
                                         "text/javascript", CACHE_CONTROL),
            "/cc/cookieconsent.css": ((dist / "cookieconsent.css").read_bytes(), "text/css",
                                      CACHE_CONTROL),
            f"/cc/{name}.js": (config_js, "text/javascript", CACHE_CONTROL)}


def peer_page(name):
    """Return the host page that embeds vanilla-cookieconsent as its documentation shows."""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>'
            f'<link rel="stylesheet" href="/cc/cookieconsent.css">{TRACKERS}</head>'
            f'<body><h1>Shop</h1><script src="/cc/cookieconsent.umd.js"></script>'
            f'<script src="/cc/{name}.js"></script></body></html>').encode()
