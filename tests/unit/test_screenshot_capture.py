"""The capture's page: only the banner's own scripts are served, every other request refused."""
import os
import stat
from types import SimpleNamespace

import pytest

from app.evidence.capture import (
    HOST_PAGE,
    BannerScripts,
    ChromiumMissing,
    _answer,
    embed_url,
    find_chromium,
    host_page,
)
from app.evidence.store import png_size

SCRIPTS = BannerScripts("shop", {"ru": b"embed();"}, "https://consent-gate.invalid/c/shop/b1/",
                        {"d" * 64: b"deferred();"})


class FakeRoute:
    """Records what the capture answered a request with."""

    def __init__(self, url):
        self.request = SimpleNamespace(url=url)
        self.answer = None

    def fulfill(self, body, content_type):
        self.answer = ("fulfilled", body)

    def abort(self, reason):
        self.answer = ("aborted", reason)


@pytest.mark.parametrize("url, answer", [
    (HOST_PAGE, "fulfilled"),
    (embed_url("shop"), "fulfilled"),
    ("https://consent-gate.invalid/c/shop/b1/" + "d" * 64 + ".js", "fulfilled"),
    ("https://consent-gate.invalid/c/shop/b1/" + "e" * 64 + ".js", "aborted"),
    ("https://consent-gate.invalid/api/v1/consents", "aborted"),
    ("https://consent-gate.invalid/api/v1/impressions", "aborted"),
    ("https://mc.yandex.ru/metrika/tag.js", "aborted"),
    ("https://www.googletagmanager.com/gtag/js?id=G-1", "aborted"),
    ("https://host.invalid/favicon.ico", "aborted"),
])
def test_only_the_banner_is_served(url, answer):
    route = FakeRoute(url)
    _answer(route, SCRIPTS, "ru")
    assert route.answer[0] == answer


def test_the_host_page_names_its_language_and_embeds_the_banner():
    page = host_page("shop", "ar")
    assert '<html lang="ar">' in page and f'src="{embed_url("shop")}"' in page


def test_a_configured_chromium_must_exist(tmp_path):
    with pytest.raises(ChromiumMissing, match="CONSENT_CHROMIUM='/nonexistent'"):
        find_chromium("/nonexistent")
    not_executable = tmp_path / "chromium"
    not_executable.write_text("")
    with pytest.raises(ChromiumMissing):
        find_chromium(str(not_executable))
    os.chmod(not_executable, stat.S_IRWXU)
    assert find_chromium(str(not_executable)) == str(not_executable)


@pytest.mark.parametrize("data, size", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x05\x00\x00\x00\x03\x20", (1280, 800)),
    (b"GIF89a" + b"\x00" * 30, None),
    (b"\x89PNG", None),
])
def test_png_size_reads_the_header(data, size):
    assert png_size(data) == size
