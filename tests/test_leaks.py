"""POST /api/v1/leaks, the stored sightings, the console's leaks page and `flask sites check`."""
import json

import pytest
from sqlalchemy import func, select

from app.banner.bundle import gate_code
from app.extensions import db
from app.leaks.report import MAX_LEAK_REPORT_BYTES
from app.leaks.tables import LeakSighting
from app.runtime import runtime
from tests.conftest import ORIGIN, TEST_SHOP, login


@pytest.fixture
def shop(runner):
    """Import the test shop (leak_reports: {sample: 1.0})."""
    result = runner.invoke(args=["sites", "import", str(TEST_SHOP)])
    assert result.exit_code == 0, result.output


def leak_report(**overrides):
    """Return a valid leak report of the test shop, with overrides (None removes a field)."""
    report = {"site": "testshop", "page": "/demo/testshop/careless", "build": gate_code()[2],
              "cookies": ["_ym_uid", "_ym_d"], "storage": ["_ym_uid"], "hosts": ["mc.yandex.ru"]}
    report.update(overrides)
    return {key: value for key, value in report.items() if value is not None}


def post_leaks(client, body, origin=ORIGIN):
    """Send a leak report as the banner's sendBeacon does (a text/plain string)."""
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    headers = {"Origin": origin} if origin else {}
    return client.post("/api/v1/leaks", data=data, content_type="text/plain;charset=UTF-8",
                       headers=headers)


def sightings():
    """Return {(page, kind, name): count} of every stored sighting."""
    rows = db.session.scalars(select(LeakSighting)).all()
    return {(row.page, row.kind, row.name): row.count for row in rows}


def test_leaks_report_is_stored_once_per_name_and_counted(client, shop):
    first = post_leaks(client, leak_report())
    assert first.status_code == 204
    assert first.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert post_leaks(client, leak_report(cookies=["_ym_uid"], storage=[], hosts=[])).status_code == 204
    page = "/demo/testshop/careless"
    assert sightings() == {(page, "cookie", "_ym_uid"): 2, (page, "cookie", "_ym_d"): 1,
                           (page, "storage", "_ym_uid"): 1, (page, "host", "mc.yandex.ru"): 1}
    row = db.session.get(LeakSighting, ("testshop", page, "cookie", "_ym_uid"))
    assert row.last_seen >= row.first_seen
    assert row.build == gate_code()[2]


#: (body, status, error code, field) of reports the API refuses.
REFUSED = [
    ("not json", 400, "invalid_json", "body"),
    ("[1, 2]", 400, "invalid_json", "body"),
    (leak_report(site="Test_Shop"), 400, "invalid_field", "site"),
    (leak_report(site="nosuch"), 404, "unknown_site", "site"),
    (leak_report(page=None), 400, "invalid_field", "page"),
    (leak_report(page="https://www.testshop.test/a"), 400, "invalid_field", "page"),
    (leak_report(page="/checkout?coupon=secret"), 400, "invalid_field", "page"),
    (leak_report(page="/a#top"), 400, "invalid_field", "page"),
    (leak_report(page="/a\nb"), 400, "invalid_field", "page"),
    (leak_report(page="/" + "a" * 300), 400, "invalid_field", "page"),
    (leak_report(build="nothex"), 400, "invalid_field", "build"),
    (leak_report(cookies="_ym_uid"), 400, "invalid_field", "cookies"),
    (leak_report(cookies=[42]), 400, "invalid_field", "cookies"),
    (leak_report(cookies=["_ym\x00uid"]), 400, "invalid_field", "cookies"),
    (leak_report(storage=["a\u0007"]), 400, "invalid_field", "storage"),
    (leak_report(cookies=[f"c{n}" for n in range(51)]), 400, "invalid_field", "cookies"),
    (leak_report(hosts=["mc.yandex.ru/watch"]), 400, "invalid_field", "hosts"),
    (leak_report(hosts=["MC.YANDEX.RU\r\n"]), 400, "invalid_field", "hosts"),
    (leak_report(cookies=[], storage=[], hosts=[]), 400, "invalid_field", "cookies"),
    (leak_report(visitor="sbj-1"), 400, "invalid_field", "visitor"),
    (json.dumps(leak_report(cookies=["x" * 200] * 30)), 413, "too_large", "body"),
]


@pytest.mark.parametrize(("body", "status", "code", "field"), REFUSED)
def test_leaks_malformed_or_oversized_reports_are_refused_and_store_nothing(
        client, shop, body, status, code, field):
    response = post_leaks(client, body)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert response.get_json()["error"]["field"] == field
    assert sightings() == {}


def test_leaks_oversized_body_is_over_the_bound():
    assert len(json.dumps(leak_report(cookies=["x" * 200] * 30))) > MAX_LEAK_REPORT_BYTES


@pytest.mark.parametrize("origin", [None, "https://evil.example", "null"])
def test_leaks_report_from_another_origin_is_refused(client, shop, origin):
    response = post_leaks(client, leak_report(), origin=origin)
    assert response.status_code == 403
    assert response.get_json()["error"]["field"] == "origin"
    assert "Access-Control-Allow-Origin" not in response.headers
    assert sightings() == {}


def test_leaks_site_with_sampling_off_is_refused(client, runner, write_site_file):
    document = __import__("yaml").safe_load(TEST_SHOP.read_text())
    document["leak_reports"] = {"sample": 0}
    assert runner.invoke(args=["sites", "import", str(write_site_file(document))]).exit_code == 0
    response = post_leaks(client, leak_report())
    assert response.status_code == 403
    assert response.get_json()["error"] == {"code": "leak_reports_off", "field": "site",
                                            "message": "the site takes no leak reports"}


def test_leaks_reports_are_rate_limited_per_network(app, client, shop):
    app.config["RATE_LIMIT_LEAKS"] = "2/minute"
    assert [post_leaks(client, leak_report()).status_code for _ in range(3)] == [204, 204, 429]
    limited = post_leaks(client, leak_report())
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    assert sightings()[("/demo/testshop/careless", "cookie", "_ym_uid")] == 2
    # The window is the app's shared one, keyed by the client's network.
    assert runtime().rate_window.hit("leaks:127.0.0.0/24", "2/minute") > 0


def test_leaks_sample_out_of_range_is_refused_in_the_site_file(runner, write_site_file):
    document = __import__("yaml").safe_load(TEST_SHOP.read_text())
    document["leak_reports"] = {"sample": 1.5}
    result = runner.invoke(args=["sites", "import", str(write_site_file(document))])
    assert result.exit_code != 0
    assert "leak_reports.sample" in result.output


def test_leaks_banner_config_carries_the_sample_and_the_deferred_part_the_rules(client, shop):
    from app.banner.bundle import read_bundle_config

    config = read_bundle_config(client.get("/c/testshop.js", headers={"Accept-Encoding": ""}).data)
    assert config["leaks"] == 1.0
    digest = config["texts"]["en"]["digest"]
    deferred = client.get(f"/c/testshop/{config['build']}/{digest}.js",
                          headers={"Accept-Encoding": ""}).get_data(as_text=True)
    assert '"leaks":{' in deferred
    assert "mc.yandex.ru" in deferred and "ce_ym_uid" in deferred


def test_leaks_console_page_lists_sightings_per_page_for_owner_auditor_admin(
        client, shop, make_user):
    post_leaks(client, leak_report())
    post_leaks(client, leak_report(page="/", cookies=["_fbp"], storage=[], hosts=[]))
    for email in (make_user("owner", "testshop"), make_user("auditor"), make_user("admin")):
        login(client, email)
        page = client.get("/console/sites/testshop/leaks")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert 'data-page="/demo/testshop/careless"' in text and 'data-page="/"' in text
        assert 'data-kind="host" data-name="mc.yandex.ru"' in text
        assert 'href="/console/sites/testshop/leaks"' in client.get(
            "/console/sites/testshop").get_data(as_text=True)
        client.post("/console/logout")


def test_leaks_console_page_refuses_other_owners_and_visitors(client, shop, samples, make_user):
    assert client.get("/console/sites/testshop/leaks").status_code == 302
    login(client, make_user("owner", "familami"))
    assert client.get("/console/sites/testshop/leaks").status_code == 403


def test_leaks_sites_check_and_the_site_page_list_them(client, runner, shop, make_user):
    clean = runner.invoke(args=["sites", "check", "testshop"])
    assert "leak-reported" not in clean.output
    post_leaks(client, leak_report())
    result = runner.invoke(args=["sites", "check", "testshop"])
    assert result.exit_code == 1
    assert ("[leak-reported] host mc.yandex.ru escaped the gate on /demo/testshop/careless: "
            "1 report(s)") in result.output
    login(client, make_user("owner", "testshop"))
    assert "cookie _ym_uid escaped the gate" in client.get(
        "/console/sites/testshop").get_data(as_text=True)


def test_leaks_table_counts_on_both_backends_without_duplicates(client, shop):
    for _ in range(3):
        post_leaks(client, leak_report(cookies=["_ym_uid", "_ym_uid"], storage=[], hosts=[]))
    assert db.session.scalar(select(func.count()).select_from(LeakSighting)) == 1
    assert sightings() == {("/demo/testshop/careless", "cookie", "_ym_uid"): 3}
