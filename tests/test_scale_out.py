"""Scaling out for real: two gunicorn nodes behind a load balancer, one PostgreSQL, one Redis.

Each node is a gunicorn of its own with two workers. They share the database, the rate-limit
storage, the secret and the signing key, as the README's scaling-out section says nodes must;
the test plays the load balancer, sending each report to one node or the other.
"""
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import yaml
from sqlalchemy import func, select

from app.extensions import db
from app.ledger.tables import TextSet
from app.models import Checkpoint, ConsentRecord
from app.signing import signing_key_path
from tests.conftest import CHROME, ORIGIN, PASSWORD, PROJECT_ROOT, TEST_SHOP, free_port

# Many nodes share one database: the production path is PostgreSQL.
pytestmark = pytest.mark.parametrize("backend", ["postgresql"])
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def start_nodes(app, migrated_urls, redis_url, tmp_path):
    """Factory: start two nodes at once on the test's database and Redis; stop them after."""
    db.session.commit()
    started = []

    def start(**settings):
        env = {**os.environ, "CONSENT_DATABASE_URL": migrated_urls("postgresql"),
               "CONSENT_SECRET_KEY": "k" * 64, "CONSENT_PUBLIC_URL": "http://consent.test",
               "CONSENT_LEDGER_SIGNING_KEY_FILE": str(signing_key_path(app)),
               "CONSENT_RATE_LIMIT_STORAGE": redis_url, "CONSENT_TRUSTED_PROXIES": "1",
               "CONSENT_SCREENSHOTS": "off", **{f"CONSENT_{k}": str(v) for k, v in settings.items()}}
        bases = []
        for _ in range(2):
            port = free_port()
            log = (tmp_path / f"node-{port}.log").open("wb")
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", "2",
                 "--bind", f"127.0.0.1:{port}", "wsgi:app"], cwd=PROJECT_ROOT, env=env,
                stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
            started.append((server, log))
            bases.append(f"http://127.0.0.1:{port}")
        for base in bases:
            _wait_until_up(base, tmp_path)
        return bases

    yield start
    for server, log in started:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def _wait_until_up(base, tmp_path):
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    logs = "\n".join(path.read_text() for path in tmp_path.glob("node-*.log"))
    pytest.fail(f"a node did not come up:\n{logs}")


def _post(base, report, network):
    """Send a report as a visitor on network 'network' whose request came through the balancer."""
    response = requests.post(f"{base}/api/v1/consents", json=report, timeout=30, headers={
        "Origin": ORIGIN, "User-Agent": CHROME, "Content-Type": "text/plain",
        "X-Forwarded-For": f"{network}.7"})
    return response.status_code, (response.json() if response.status_code == 201 else None)


def test_a_limit_holds_across_nodes_and_processes(start_nodes, make_report):
    nodes = start_nodes(RATE_LIMIT_CLIENT="60/minute")
    reports = [make_report(event_id=f"evt-limit-{n:04d}", consent_id=f"cns-limit-{n:04d}")
               for n in range(150)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda n: _post(nodes[n % 2], reports[n], "203.0.113")[0],
                                 range(150)))
    assert Counter(statuses) == {201: 60, 429: 90}
    # Another network has a budget of its own.
    assert _post(nodes[1], make_report(event_id="evt-other"), "198.51.100")[0] == 201


def test_two_nodes_keep_one_ledger(app, runner, start_nodes, make_report, make_user):
    nodes = start_nodes(CHECKPOINT_EVERY=25, CHECKPOINT_INTERVAL=1, LEDGER_TICK=0.3)
    reports = [make_report(event_id=f"evt-node-{n:04d}", consent_id=f"cns-{n % 50:04d}",
                           subject_id=f"sbj-{n % 50:04d}") for n in range(400)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda n: _post(nodes[n % 2], reports[n], f"10.{n % 7}.{n // 7}"),
                                range(400)))
    assert [status for status, _ in answers] == [201] * 400
    db.session.remove()
    stored = Counter(db.session.scalars(select(ConsentRecord.event_id)))
    assert stored == Counter(report["event_id"] for report in reports), "a record is missing or twice"
    seqs = sorted(db.session.scalars(select(ConsentRecord.seq).filter_by(site_id="testshop")))
    assert seqs == list(range(1, 401)), "the chain has a gap or a fork"
    assert sorted(body["seq"] for _, body in answers) == seqs

    _wait_for_quiet_checkpoint(400)
    checkpoints = db.session.execute(select(Checkpoint.site_id, Checkpoint.seq, Checkpoint.kind,
                                            Checkpoint.prev_digest)).all()
    assert not [key for key, n in Counter(row[:3] for row in checkpoints).items() if n > 1], \
        "two nodes signed the same head"
    assert not [key for key, n in Counter(row[3] for row in checkpoints).items() if n > 1], \
        "the checkpoint log forked"
    text_sets = db.session.execute(select(TextSet.site_id, TextSet.language)).all()
    assert not [key for key, n in Counter(text_sets).items() if n > 1], "a text set was stored twice"
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output


def _wait_for_quiet_checkpoint(head):
    """Wait until the nodes' tickers signed the last head (the chain went quiet)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        db.session.remove()
        if db.session.scalar(select(func.max(Checkpoint.seq))) == head:
            return
        time.sleep(0.2)
    pytest.fail("no node signed the quiet chain's head")


def test_a_site_edited_through_one_node_applies_on_the_other(start_nodes, make_report, make_user):
    email = make_user("admin")
    node_a, node_b = start_nodes()
    assert _post(node_b, make_report(event_id="evt-before"), "10.1.1")[0] == 201  # B caches the site
    console = _log_in(node_a, email)
    edited = yaml.safe_load(TEST_SHOP.read_text()) | {"retention_days": 400}
    page = console.get(f"{node_a}/console/sites/testshop/upload", timeout=10)
    saved = console.post(f"{node_a}/console/sites/testshop/upload", timeout=30, data={
        "csrf_token": CSRF.search(page.text).group(1)}, files={
        "site_file": ("testshop.yaml", yaml.safe_dump(edited, allow_unicode=True))},
        allow_redirects=False)
    assert saved.status_code == 302, saved.text
    status, body = _post(node_b, make_report(event_id="evt-after"), "10.1.1")
    assert status == 201
    db.session.remove()
    records = {record.event_id: record.content for record in db.session.scalars(
        select(ConsentRecord).where(ConsentRecord.event_id.in_(["evt-before", "evt-after"])))}
    assert records["evt-before"]["retention_days"] == 1095
    assert records["evt-after"]["retention_days"] == 400, "node B recorded under the old site"


def _log_in(base, email):
    console = requests.Session()
    page = console.get(f"{base}/console/login", timeout=10)
    response = console.post(f"{base}/console/login", timeout=30, allow_redirects=False, data={
        "csrf_token": CSRF.search(page.text).group(1), "email": email, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return console
