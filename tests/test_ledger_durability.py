"""Durability with a real server: SIGKILL under load loses no acknowledged record."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from sqlalchemy import func, select

from app.extensions import db
from app.models import Checkpoint, ConsentRecord
from app.signing import signing_key_path
from tests.conftest import ORIGIN, PROJECT_ROOT
from tests.test_server import _free_port, _status


def _send(url, report):
    request = urllib.request.Request(url, data=json.dumps(report).encode(), headers={
        "Content-Type": "text/plain", "Origin": ORIGIN})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def test_sigkill_under_load_loses_no_acknowledged_record(app, backend, migrated_urls, make_report,
                                                         runner, tmp_path):
    db.session.commit()
    port = _free_port()
    # The server signs checkpoints often, with the key the verifying app checks them with.
    env = {**os.environ, "CONSENT_DATABASE_URL": migrated_urls(backend),
           "CONSENT_SECRET_KEY": "k" * 64, "CONSENT_PUBLIC_URL": f"http://127.0.0.1:{port}",
           "CONSENT_RATE_LIMIT_CLIENT": "100000/minute",
           "CONSENT_RATE_LIMIT_SITE": "100000/minute", "CONSENT_CHECKPOINT_EVERY": "50",
           "CONSENT_LEDGER_SIGNING_KEY_FILE": str(signing_key_path(app))}
    log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", "3",
         "--bind", f"127.0.0.1:{port}", "wsgi:app"], cwd=PROJECT_ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while _safe_status(f"{base}/healthz") != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    acknowledged, lock, stop = [], threading.Lock(), threading.Event()

    def next_report():
        with lock:  # the factory numbers event ids from one shared counter
            return make_report()

    def load():
        while not stop.is_set():
            report = next_report()
            if _send(f"{base}/api/v1/consents", report) == 201:
                with lock:
                    acknowledged.append(report["event_id"])

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    os.killpg(server.pid, signal.SIGKILL)
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    server.wait(timeout=10)
    log.close()
    assert len(acknowledged) > 20, "the server acknowledged too few reports to test anything"
    db.session.remove()
    stored = set(db.session.scalars(select(ConsentRecord.event_id)))
    assert set(acknowledged) <= stored
    print(f"{backend}: {len(acknowledged)} acknowledged, {len(stored)} stored before SIGKILL")
    assert db.session.scalar(select(func.count()).select_from(Checkpoint)) > 0
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output


def _safe_status(url):
    try:
        return _status(url)
    except OSError:
        return None


def test_the_servers_ticker_signs_a_site_that_went_quiet(app, backend, migrated_urls, make_report,
                                                         tmp_path):
    """No cron: gunicorn's workers sign the head of a chain nobody appends to any more."""
    db.session.commit()
    port = _free_port()
    env = {**os.environ, "CONSENT_DATABASE_URL": migrated_urls(backend),
           "CONSENT_SECRET_KEY": "k" * 64, "CONSENT_PUBLIC_URL": f"http://127.0.0.1:{port}",
           "CONSENT_CHECKPOINT_INTERVAL": "1",
           "CONSENT_LEDGER_TICK": "0.2", "CONSENT_LEDGER_SIGNING_KEY_FILE": str(signing_key_path(app))}
    log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "wsgi:app"], cwd=PROJECT_ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while _safe_status(f"{base}/healthz") != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        for _ in range(2):  # the first is signed at once, the second waits for the interval
            assert _send(f"{base}/api/v1/consents", make_report()) == 201
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            db.session.remove()
            if db.session.scalar(select(func.max(Checkpoint.seq))) == 2:
                break
            time.sleep(0.2)
        seqs = sorted(db.session.scalars(select(Checkpoint.seq)))
        assert seqs == [1, 2], f"the quiet site's head was not signed once: {seqs}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
