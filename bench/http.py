"""HTTP throughput under gunicorn: each endpoint as a ratio to a bare JSON endpoint, same server."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select

from app.banner.bundle import read_bundle_config
from app.models import ConsentRecord
from bench.ledger import ORIGIN, report_factory
from bench.load import LoadResult, run_load

ROOT = Path(__file__).resolve().parent.parent
WORKERS, THREADS, CONCURRENCY = 2, 2, 8
#: (label, path, kind, baseline path): kind is GET, POST (bare body) or REPORT (a consent).
ENDPOINTS = (
    ("GET bare JSON (baseline)", "/bench/bare", "GET", "/bench/bare"),
    ("GET /healthz", "/healthz", "GET", "/bench/bare"),
    ("GET /c/familami.js (embed script)", "/c/familami.js", "GET", "/bench/bare"),
    ("GET /demo/familami", "/demo/familami", "GET", "/bench/bare"),
    ("POST bare JSON (baseline)", "/bench/bare#post", "POST", "/bench/bare#post"),
    ("POST /api/v1/consents (durable)", "/api/v1/consents", "REPORT", "/bench/bare#post"),
)


def flask_env(url):
    """Return the environment for the app on a database, with limits and screenshots (Chromium
    in the background would skew the timings) out of the way."""
    return {**os.environ, "CONSENT_DATABASE_URL": url, "CONSENT_SECRET_KEY": uuid.uuid4().hex * 2,
            "CONSENT_RATE_LIMIT_CLIENT": "100000000/minute",
            "CONSENT_RATE_LIMIT_SITE": "100000000/minute", "CONSENT_SCREENSHOTS": "off"}


def prepare_database(env, *site_paths):
    """Migrate the database and import sites into it."""
    flask = [sys.executable, "-m", "flask", "--app", "bench.wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "ledger", "keygen"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "sites", "import", *site_paths], cwd=ROOT, env=env, check=True,
                   capture_output=True)


def measure_backend(name, url, options):
    """Serve the app on one database and load each endpoint in interleaved rounds."""
    env = flask_env(url)
    prepare_database(env, "sites/", "bench/shop.yaml")
    port = free_port()
    env["CONSENT_PUBLIC_URL"] = f"http://127.0.0.1:{port}"  # gunicorn refuses to serve without
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", str(WORKERS),
         "--threads", str(THREADS), "--bind", f"127.0.0.1:{port}", "--access-logfile", os.devnull,
         "bench.wsgi:app"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(port)
        make_report = report_factory(site_config(port, "shop"))
        runs = {path: [] for _label, path, _kind, _base in ENDPOINTS}
        for _round in range(options.rounds):
            for _label, path, kind, _base in ENDPOINTS:
                runs[path].append(_load(port, path, kind, make_report, options.seconds))
    finally:
        server.terminate()
        server.wait(timeout=30)
    lost = lost_records(url, runs["/api/v1/consents"])
    return {"name": name, "runs": runs, "lost": lost}


def _load(port, path, kind, make_report, seconds):
    if kind == "GET":
        return run_load(port, path, CONCURRENCY, seconds)
    headers = {"Content-Type": "text/plain", "Origin": ORIGIN}
    body = make_report if kind == "REPORT" else (lambda: b'{"bench": true}')
    return run_load(port, path.split("#")[0], CONCURRENCY, seconds, body=body, headers=headers,
                    ok=(200, 201))


def site_config(port, site_id):
    """Fetch a site's embed script (which stores its text sets) and return its config."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/c/{site_id}.js", timeout=10) as response:
        body = response.read()
    return read_bundle_config(body)


def lost_records(url, results):
    """Count acknowledged consents that are not in the database after the server stopped."""
    acknowledged = {json.loads(answer)["record_id"] for result in results
                    for answer in result.acknowledged}
    engine = create_engine(url)
    with engine.connect() as connection:
        stored = connection.scalar(select(func.count()).select_from(ConsentRecord).where(
            ConsentRecord.record_id.in_(acknowledged))) if acknowledged else 0
    engine.dispose()
    return len(acknowledged) - stored, len(acknowledged)


def merge(results):
    """Add up interleaved runs of one endpoint."""
    return LoadResult(sum(r.requests for r in results), sum(r.errors for r in results),
                      sum(r.seconds for r in results), [x for r in results for x in r.latencies])


def free_port():
    """Return a free TCP port on the loopback interface."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(port, timeout=90):
    """Poll /healthz until the server answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"bench: the server on port {port} did not come up")


def http_lines(section, workers=WORKERS, threads=THREADS, concurrency=CONCURRENCY):
    """Return one backend's HTTP figures as Markdown."""
    runs = section["runs"]
    lost, acknowledged = section["lost"]
    lines = ["", f"## HTTP throughput on {section['name']}", "",
             f"gunicorn {workers} workers × {threads} threads, {concurrency} keep-alive clients. "
             f"Consents acknowledged: {acknowledged}; missing from the database afterwards: "
             f"**{lost}**.", "",
             "| endpoint | requests/s | ratio to bare | p50 ms | p99 ms | errors |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for label, path, _kind, base in ENDPOINTS:
        merged, baseline = merge(runs[path]), merge(runs[base])
        lines.append(f"| {label} | {merged.per_second:.0f} | "
                     f"{merged.per_second / baseline.per_second:.2f} | {merged.median:.1f} | "
                     f"{merged.percentile(0.99):.1f} | {merged.errors} |")
    return lines
