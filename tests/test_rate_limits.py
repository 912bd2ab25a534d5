"""Rate limits that hold across processes: a shared Redis, and one budget per spelling of an e-mail."""
import logging
import os
import subprocess
import sys

import pytest

from app.config import ConfigError
from app.ledger.limits import ReportLimiter
from app.rate_limits import MovingWindow, SharedWindow, rate_window
from tests.conftest import PROJECT_ROOT, free_port, make_test_app

ADMIN = "admin@example.com"
#: Spellings of one address an attacker could cycle through for a fresh budget each.
VARIANTS = ["Admin@Example.com", " admin@example.com ", "ad min@example.com",
            "ａｄｍｉｎ@ｅｘａｍｐｌｅ.ｃｏｍ", "ＡＤＭＩＮ＠ＥＸＡＭＰＬＥ．ＣＯＭ",
            "admin@example.com\u3000"]


def _login(client, email, password, address):
    return client.post("/console/login", data={"email": email, "password": password},
                       environ_overrides={"REMOTE_ADDR": address})


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_spelling_of_an_address_counts_against_its_account(app, make_user, variant):
    make_user("admin", email=ADMIN)
    app.config["RATE_LIMIT_LOGIN"] = "3/minute"
    client = app.test_client()
    # From three networks, so only the account's budget can run out.
    for number in range(3):
        _login(client, variant, "wrong password!", f"198.51.{number}.7")
    refused = _login(client, ADMIN, "wrong password!", "203.0.113.9")
    assert refused.status_code == 429, f"{variant!r} got a budget of its own"


def test_other_accounts_keep_their_budget(app, make_user):
    make_user("admin", email=ADMIN)
    app.config["RATE_LIMIT_LOGIN"] = "2/minute"
    client = app.test_client()
    for number in range(2):
        _login(client, ADMIN, "wrong password!", f"198.51.{number}.7")
    assert _login(client, "auditor@example.com", "wrong password!", "203.0.113.9").status_code == 401


def test_windows_of_one_shared_storage_count_every_process(redis_url):
    # Two windows on one Redis are what two processes (or nodes) hold.
    processes = [SharedWindow(redis_url), SharedWindow(redis_url)]
    accepted = sum(processes[hit % 2].hit("client:198.51.100.0", "5/minute") == 0
                   for hit in range(12))
    assert accepted == 5


def test_windows_in_process_memory_count_apart():
    """The baseline the shared storage fixes: every process has a budget of its own."""
    processes = [MovingWindow(), MovingWindow()]
    accepted = sum(processes[hit % 2].hit("client:198.51.100.0", "5/minute") == 0
                   for hit in range(12))
    assert accepted == 10


def test_a_refused_hit_says_how_long_to_wait(redis_url):
    window = SharedWindow(redis_url)
    assert [window.hit("site:x", "2/minute") for _ in range(2)] == [0, 0]
    assert 1 <= window.hit("site:x", "2/minute") <= 60


def test_report_limits_share_the_storage(redis_url):
    limits = {"RATE_LIMIT_CLIENT": "3/minute", "RATE_LIMIT_SITE": "100/minute"}
    nodes = [ReportLimiter(limits, SharedWindow(redis_url)) for _ in range(3)]
    waits = [nodes[hit % 3].wait("198.51.100.0", "testshop") for hit in range(6)]
    assert waits[:3] == [0, 0, 0] and all(waits[3:])


def test_a_storage_that_does_not_answer_degrades_to_this_process(caplog):
    window = SharedWindow(f"redis://:hunter2secret@127.0.0.1:{free_port()}/0")
    assert not window.check()
    with caplog.at_level(logging.WARNING, logger="app.rate_limits"):
        results = [window.hit("client:198.51.100.0", "3/minute") for _ in range(5)]
    assert results[:3] == [0, 0, 0] and all(results[3:])
    assert len(caplog.records) == 1, "one warning, not one per request"
    assert "hunter2secret" not in caplog.text and "counting in this process" in caplog.text


@pytest.mark.parametrize("setting", ["", "memory://"])
def test_memory_is_the_default(setting):
    assert isinstance(rate_window(setting), MovingWindow)


@pytest.mark.parametrize("setting", ["redis-at-localhost", "nosuch://host/0"])
def test_a_malformed_storage_is_refused_naming_the_setting(tmp_path, setting):
    with pytest.raises(ConfigError, match="CONSENT_RATE_LIMIT_STORAGE"):
        make_test_app("sqlite://", tmp_path, RATE_LIMIT_STORAGE=setting)


def test_the_app_counts_logins_in_the_shared_storage(app, make_user, redis_url, sibling_app):
    make_user("admin", email=ADMIN)
    nodes = [sibling_app(RATE_LIMIT_STORAGE=redis_url, RATE_LIMIT_LOGIN="4/minute")
             for _ in range(2)]
    statuses = [_login(nodes[attempt % 2].test_client(), VARIANTS[attempt % len(VARIANTS)],
                       "wrong password!", f"198.51.{attempt}.7").status_code
                for attempt in range(6)]
    assert statuses == [401, 401, 401, 401, 429, 429]


def test_gunicorn_refuses_to_start_when_the_shared_storage_does_not_answer(migrated_urls):
    port = free_port()
    env = {**os.environ, "CONSENT_DATABASE_URL": migrated_urls("sqlite"),
           "CONSENT_SECRET_KEY": "k" * 64, "CONSENT_PUBLIC_URL": "http://consent.test",
           "CONSENT_RATE_LIMIT_STORAGE": f"redis://:hunter2secret@127.0.0.1:{port}/0"}
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", "1",
         "--bind", f"127.0.0.1:{free_port()}", "wsgi:app"], cwd=PROJECT_ROOT, env=env,
        capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert f"CONSENT_RATE_LIMIT_STORAGE redis://127.0.0.1:{port}/0 does not answer" in result.stderr
    assert "hunter2secret" not in result.stderr and "Traceback" not in result.stderr
