"""Allowed origins: the site's own, plus the service's for its demo and preview pages."""
import pytest

from app.sites.origins import allowed_origins, is_allowed_origin

SITE = ["https://flomni.com", "https://www.flomni.com"]


def test_allowed_origins_add_the_service_origin():
    assert allowed_origins(SITE, "http://127.0.0.1:5000/demo/flomni") == [
        "https://flomni.com", "https://www.flomni.com", "http://127.0.0.1:5000"]


@pytest.mark.parametrize(("origin", "allowed"), [
    ("https://flomni.com", True),
    ("https://WWW.flomni.com", True),
    ("http://127.0.0.1:5000", True),
    ("http://flomni.com", False),
    ("https://flomni.com.evil.example", False),
    ("https://evil.example", False),
    ("null", False),
    ("", False),
    (None, False),
])
def test_is_allowed_origin(origin, allowed):
    assert is_allowed_origin(origin, SITE, "http://127.0.0.1:5000/") is allowed
