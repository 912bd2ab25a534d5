"""The real server: gunicorn with several workers on each database."""
import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from urllib.parse import urlsplit

import pytest

from tests.conftest import BACKENDS, PROJECT_ROOT


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _status(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def gunicorn(migrated_urls, tmp_path):
    """Factory: start gunicorn on a migrated database; stop it after the test."""
    servers = []

    def start(backend, **settings):
        port = _free_port()
        log = tmp_path / f"gunicorn-{port}.log"
        log_file = log.open("wb")
        env = {**os.environ, "CONSENT_DATABASE_URL": migrated_urls(backend),
               "CONSENT_SECRET_KEY": "k" * 64, "CONSENT_PUBLIC_URL": f"http://127.0.0.1:{port}",
               **{f"CONSENT_{name}": value for name, value in settings.items()}}
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", "3",
             "--bind", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log_file)
        servers.append((server, log_file))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if _status(f"{base}/healthz") == 200:
                    return base
            except OSError:
                time.sleep(0.1)
        pytest.fail(f"gunicorn did not come up: {log.read_text()}")

    yield start
    for server, log_file in servers:
        server.terminate()
        server.wait(timeout=30)
        log_file.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_workers_do_not_share_database_connections(gunicorn, backend):
    base = gunicorn(backend)
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(_status, [f"{base}/healthz"] * 300))
    assert statuses == [200] * 300


def _get(base, path, headers):
    """GET path from loopback with headers; return the response, its body read."""
    connection = HTTPConnection(urlsplit(base).netloc, timeout=10)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_gunicorn_honours_no_forwarded_proto_without_trusted_proxies(gunicorn):
    # Loopback is the peer gunicorn trusts by default: a spoofed scheme from it must not count.
    base = gunicorn("sqlite", TRUSTED_PROXIES="0")
    for header in ("X-Forwarded-Proto", "X-Forwarded-Ssl", "X-Forwarded-Protocol"):
        value = {"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on"}.get(header, "ssl")
        response = _get(base, "/healthz", {header: value})
        assert response.status == 200
        assert response.getheader("Strict-Transport-Security") is None, header


def test_gunicorn_leaves_forwarded_proto_to_the_trusted_proxy_count(gunicorn):
    base = gunicorn("sqlite", TRUSTED_PROXIES="1")
    response = _get(base, "/healthz", {"X-Forwarded-Proto": "https"})
    assert response.getheader("Strict-Transport-Security").startswith("max-age=")
    assert _get(base, "/healthz", {}).getheader("Strict-Transport-Security") is None
