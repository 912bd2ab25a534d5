"""No request header chooses the service's address; the demo pages live on a host of their own."""
from urllib.parse import urljoin

import pytest

from app.banner.bundle import read_bundle_config
from app.demo.hosts import NOT_FOUND, SERVE, TO_DEMO, host_port, route_for_host
from tests.conftest import login

PUBLIC = "https://consent.example.org"
DEMO = "https://demo.example.net"
FORGED = "evil.example"


def _script(client, host, **headers):
    return client.get("/c/familami.js", headers={"Host": host, "Accept-Encoding": "", **headers})


def test_script_bodies_ignore_the_host_header_with_public_url(app, client, samples):
    app.config["PUBLIC_URL"] = PUBLIC
    first, second = _script(client, "consent.example.org"), _script(client, FORGED)
    assert first.status_code == second.status_code == 200
    assert first.data == second.data
    assert FORGED.encode() not in second.data
    config = read_bundle_config(second.data)
    assert config["api"] == f"{PUBLIC}/api/v1/consents"
    # Displays are counted beside the reports (the banner resolves "impressions" against api).
    assert urljoin(config["api"], "impressions") == f"{PUBLIC}/api/v1/impressions"
    assert config["deferredUrl"].startswith(f"{PUBLIC}/c/familami/")
    assert second.headers["Cache-Control"].startswith("public, max-age=300")


def test_forwarded_host_never_reaches_the_script_with_public_url(app, samples):
    app.config.update(PUBLIC_URL=PUBLIC)
    proxied = app.test_client()
    # Even a forwarded host that a trusted proxy would pass on changes nothing.
    response = _script(proxied, "127.0.0.1", **{"X-Forwarded-Host": FORGED,
                                                "X-Forwarded-Proto": "http"})
    assert FORGED.encode() not in response.data
    assert read_bundle_config(response.data)["api"] == f"{PUBLIC}/api/v1/consents"


def test_host_derived_script_is_never_publicly_cached(client, samples):
    response = _script(client, FORGED)
    # Tests and development may fall back to the request's host, but then no shared cache
    # may keep the answer for other visitors.
    assert read_bundle_config(response.data)["api"] == f"http://{FORGED}/api/v1/consents"
    assert "public" not in response.headers["Cache-Control"]
    assert response.headers["Cache-Control"].startswith("private")
    etag = response.headers["ETag"]
    assert _script(client, FORGED, **{"If-None-Match": etag}).status_code == 304


def test_openapi_and_console_snippets_use_public_url(app, client, samples, owner):
    app.config["PUBLIC_URL"] = PUBLIC
    document = client.get("/api/v1/openapi.json", headers={"Host": FORGED}).json
    assert document["servers"] == [{"url": PUBLIC}]
    overview = owner.get("/console/sites/testshop", headers={"Host": "localhost"}).data.decode()
    assert f"{PUBLIC}/c/testshop.js" in overview and FORGED not in overview


@pytest.mark.parametrize(("proxies", "hsts"), [(0, False), (1, True)])
def test_hsts_follows_the_trusted_proxy_count(migrated_urls, tmp_path, proxies, hsts):
    from tests.conftest import make_test_app

    app = make_test_app(migrated_urls("sqlite"), tmp_path / "instance", TRUSTED_PROXIES=proxies)
    response = app.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert ("Strict-Transport-Security" in response.headers) is hsts
    assert "Strict-Transport-Security" not in app.test_client().get("/healthz").headers


@pytest.mark.parametrize(("host", "area", "expected"), [
    ("demo.example.net", "demo", SERVE),
    ("demo.example.net:443", "static", SERVE),
    ("DEMO.example.net", "banner", SERVE),
    ("demo.example.net", "api", SERVE),
    ("demo.example.net", "documents", SERVE),
    ("demo.example.net", "console", NOT_FOUND),
    ("demo.example.net", None, NOT_FOUND),
    ("demo.example.net:8443", "console", SERVE),
    ("consent.example.org", "demo", TO_DEMO),
    ("consent.example.org", "console", SERVE),
])
def test_route_for_host(host, area, expected):
    assert route_for_host(host, area, DEMO) == expected


def test_route_for_host_without_a_demo_host_serves_everything():
    assert route_for_host("consent.example.org", "demo", "") == SERVE
    assert host_port("localhost:5000", "http") == ("localhost", 5000)
    assert host_port("localhost", "https") == ("localhost", 443)


@pytest.fixture
def demo_app(app, samples):
    """The app with a public URL and a demo URL on another host."""
    app.config.update(PUBLIC_URL="http://127.0.0.1:5000", DEMO_URL="http://localhost:5000")
    return app


def test_demo_host_serves_no_console(demo_app, make_user):
    client = demo_app.test_client()
    login(client, make_user("admin"))
    assert client.get("/console/users").status_code == 200
    for path in ("/console/", "/console/users", "/console/login"):
        # Not even the login page: a 404, where another host would redirect or answer.
        response = client.get(path, base_url="http://localhost:5000")
        assert response.status_code == 404, path
        assert b"admin-all@example.com" not in response.data


def test_demo_host_serves_what_a_visitor_page_needs(demo_app):
    client = demo_app.test_client()
    page = client.get("/demo/flomni", headers={"Host": "localhost:5000"})
    assert page.status_code == 200
    assert 'src="http://127.0.0.1:5000/c/flomni.js"' in page.data.decode()
    assert "sandbox" not in page.headers["Content-Security-Policy"]
    for path in ("/c/flomni.js", "/static/demo/demo.css", "/healthz"):
        with client.get(path, headers={"Host": "localhost:5000"}) as response:
            assert response.status_code == 200, path


def test_demo_pages_elsewhere_redirect_to_the_demo_host(demo_app):
    response = demo_app.test_client().get("/demo/flomni?lang=en",
                                          headers={"Host": "127.0.0.1:5000"})
    assert response.status_code == 302
    assert response.headers["Location"] == "http://localhost:5000/demo/flomni?lang=en"


def test_demo_host_may_report_for_every_site(demo_app, make_report):
    client = demo_app.test_client()
    preflight = client.options("/api/v1/consents", headers={
        "Origin": "http://localhost:5000", "Access-Control-Request-Method": "POST"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "http://localhost:5000"
    refused = client.options("/api/v1/consents", headers={
        "Origin": "http://localhost:5001", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in refused.headers


@pytest.mark.parametrize("path", ["/demo/flomni", "/demo/flomni/careless"])
def test_demo_pages_without_a_demo_host_are_sandboxed(client, samples, path):
    header = client.get(path).headers["Content-Security-Policy"]
    assert header.endswith("; sandbox allow-scripts")
    assert "allow-same-origin" not in header


def test_console_preview_frame_is_sandboxed(app, owner):
    header = owner.get("/console/sites/testshop/preview/frame").headers["Content-Security-Policy"]
    assert header.endswith("; sandbox allow-scripts")
    assert "allow-same-origin" not in header
