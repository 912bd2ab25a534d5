"""Run every benchmark and write bench/RESULTS.md: python -m bench [--seconds N]."""
import argparse
import datetime
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import psycopg

from bench.load import LoadResult, run_load

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
POSTGRES_ADMIN_URL = os.environ.get("CONSENT_TEST_POSTGRES_URL",
                                    "postgresql://postgres@127.0.0.1:5432/test")
ENDPOINTS = (("bare JSON (baseline)", "/bench/bare"), ("GET /healthz", "/healthz"),
             ("GET /c/familami.js (embed script)", "/c/familami.js"),
             ("GET /demo/familami", "/demo/familami"))
WORKERS, THREADS, CONCURRENCY = 2, 2, 8


def main():
    """Measure each backend side by side and write the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=4.0, help="length of one load run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per endpoint")
    parser.add_argument("--banner-runs", type=int, default=15, help="page loads per banner")
    options = parser.parse_args()
    banner = measure_banner(options)
    sections = [measure_backend(name, url, options) for name, url in database_urls()]
    write_results(sections, banner, options)
    print(RESULTS.read_text(encoding="utf-8"))


def database_urls():
    """Yield (name, URL) for a throwaway SQLite file and a throwaway PostgreSQL database."""
    folder = Path(tempfile.mkdtemp(prefix="consent-bench-"))
    yield "SQLite", f"sqlite:///{folder / 'bench.sqlite3'}"
    name = f"consent_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    server = POSTGRES_ADMIN_URL.split("://", 1)[1].rsplit("/", 1)[0]
    try:
        yield "PostgreSQL", f"postgresql+psycopg://{server}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure_backend(name, url, options):
    """Serve the app on one database and load each endpoint in interleaved rounds."""
    env = {**os.environ, "CONSENT_DATABASE_URL": url, "CONSENT_SECRET_KEY": uuid.uuid4().hex * 2}
    flask = [sys.executable, "-m", "flask", "--app", "bench.wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "sites", "import", "sites/"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", str(WORKERS),
         "--threads", str(THREADS), "--bind", f"127.0.0.1:{port}", "--access-logfile", os.devnull,
         "bench.wsgi:app"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(port)
        runs = {path: [] for _label, path in ENDPOINTS}
        for _round in range(options.rounds):
            for _label, path in ENDPOINTS:
                runs[path].append(run_load(port, path, CONCURRENCY, options.seconds))
        return name, runs
    finally:
        server.terminate()
        server.wait(timeout=30)


def measure_banner(options):
    """Build the benchmark site's script and race it against vanilla-cookieconsent."""
    from bench.banner import measure

    folder = Path(tempfile.mkdtemp(prefix="consent-bench-"))
    env = {**os.environ, "CONSENT_DATABASE_URL": f"sqlite:///{folder / 'banner.sqlite3'}",
           "CONSENT_SECRET_KEY": uuid.uuid4().hex * 2}
    flask = [sys.executable, "-m", "flask", "--app", "bench.wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "sites", "import", "bench/shop.yaml"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    os.environ.update(env)
    from bench.wsgi import app

    script = app.test_client().get("/c/shop.js", headers={"Accept-Encoding": ""}).data
    return measure(script, runs=options.banner_runs)


def free_port():
    """Return a free TCP port on the loopback interface."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(port, timeout=30):
    """Poll /healthz until the server answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"bench: the server on port {port} did not come up")


def write_results(sections, banner, options):
    """Write the figures as Markdown tables with the command that made them."""
    lines = [
        "# Benchmark results", "",
        f"Command: `make bench` (`python -m bench --seconds {options.seconds:g} "
        f"--rounds {options.rounds} --banner-runs {options.banner_runs}`)  ",
        f"Run: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; gunicorn {WORKERS} workers × {THREADS} threads, "
        f"{CONCURRENCY} keep-alive clients on the same machine.", "",
        "Each endpoint is loaded in interleaved rounds; figures are the totals over all rounds, "
        "and the ratio compares requests per second with the bare JSON endpoint of the same run.",
    ]
    lines += banner_lines(banner)
    for name, runs in sections:
        lines += ["", f"## HTTP throughput on {name}", "",
                  "| endpoint | requests/s | ratio to bare | p50 ms | p99 ms | errors |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]
        baseline = _per_second(runs[ENDPOINTS[0][1]])
        for label, path in ENDPOINTS:
            merged = _merge(runs[path])
            lines.append(
                f"| {label} | {merged.per_second:.0f} | {merged.per_second / baseline:.2f} | "
                f"{merged.median:.1f} | {merged.percentile(0.99):.1f} | {merged.errors} |")
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")


def banner_lines(banner):
    """Return the banner comparison as Markdown."""
    ours, peer = banner["ours_bytes"], banner["peer_bytes"]
    return [
        "", "## Banner: bytes before it is visible, and time to visible", "",
        "Consent Gate serves the site `bench/shop.yaml` (one language, mandatory + analytical + "
        "marketing, Yandex.Metrica, GA4, Meta pixel) as one script. vanilla-cookieconsent v3, "
        "installed from npm at bench time, gets the same categories, texts and trackers: its UMD "
        "script, its CSS and its config. Both are served from memory through the same Playwright "
        "route in the same Chromium, page loads interleaved.", "",
        "| | requests | raw bytes | gzip bytes | brotli bytes | median ms to visible |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        f"| Consent Gate | 1 | {ours[0]} | {ours[1]} | {ours[2]} | {banner['ours_median']:.1f} |",
        f"| vanilla-cookieconsent 3 | 3 | {peer[0]} | {peer[1]} | {peer[2]} | "
        f"{banner['peer_median']:.1f} |",
        f"| ratio (ours / peer) | | {ours[0] / peer[0]:.2f} | {ours[1] / peer[1]:.2f} | "
        f"{ours[2] / peer[2]:.2f} | {banner['ours_median'] / banner['peer_median']:.2f} |",
    ]


def _per_second(results):
    return _merge(results).per_second


def _merge(results):
    return LoadResult(sum(r.requests for r in results), sum(r.errors for r in results),
                      sum(r.seconds for r in results), [x for r in results for x in r.latencies])


if __name__ == "__main__":
    main()
