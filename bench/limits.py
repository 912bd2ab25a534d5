"""Intake with the rate limits counted in process memory and in a shared Redis, side by side.

Two gunicorn servers run at once on one PostgreSQL database, one counting limits in memory and
one in a Redis of the bench's own; rounds of consents alternate between them, and each is
compared with a bare POST on its own server. The limits are set high enough never to refuse,
so every report pays for counting without being turned away.
"""
import shutil
import subprocess
import sys
import tempfile
import time

import redis

from bench.http import (
    ROOT,
    THREADS,
    WORKERS,
    _load,
    flask_env,
    free_port,
    merge,
    prepare_database,
    site_config,
    wait_until_up,
)
from bench.ledger import report_factory

SETTINGS = (("in process memory (default)", "memory://"), ("shared Redis", None))
PATHS = (("POST bare JSON (baseline)", "/bench/bare#post", "POST"),
         ("POST /api/v1/consents", "/api/v1/consents", "REPORT"))


def measure_limits(url, options):
    """Return interleaved runs of the intake per limit storage, on one database."""
    with redis_server() as redis_url:
        env = flask_env(url)
        prepare_database(env, "bench/shop.yaml")
        servers, ports = [], {}
        try:
            for label, storage in SETTINGS:
                port = free_port()
                servers.append(_serve({**env, "CONSENT_RATE_LIMIT_STORAGE": storage or redis_url},
                                      port))
                ports[label] = port
            for port in ports.values():
                wait_until_up(port)
            make_report = report_factory(site_config(next(iter(ports.values())), "shop"))
            runs = {(label, path): [] for label in ports for _name, path, _kind in PATHS}
            for _round in range(options.rounds):
                for label, port in ports.items():
                    for _name, path, kind in PATHS:
                        runs[label, path].append(_load(port, path, kind, make_report,
                                                       options.seconds))
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=30)
    return runs


def _serve(env, port):
    env = {**env, "CONSENT_PUBLIC_URL": f"http://127.0.0.1:{port}"}  # gunicorn refuses without
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", str(WORKERS),
         "--threads", str(THREADS), "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null",
         "bench.wsgi:app"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)


class redis_server:  # noqa: N801  (used as a context manager, like a function)
    """Run Debian's redis-server on a free port for the benchmark; stop it after."""

    def __enter__(self):
        binary = shutil.which("redis-server") or sys.exit("bench: redis-server is required")
        port = free_port()
        self.folder = tempfile.mkdtemp(prefix="consent-bench-redis-")
        self.server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1",
                                        "--save", "", "--appendonly", "no", "--dir", self.folder],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 20
        while True:
            try:
                redis.Redis.from_url(url).ping()
                return url
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    sys.exit("bench: redis-server did not start")
                time.sleep(0.05)

    def __exit__(self, *_exc):
        self.server.terminate()
        self.server.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


def limits_lines(runs, workers=WORKERS, threads=THREADS):
    """Return the intake figures per limit storage as Markdown."""
    memory_label = SETTINGS[0][0]
    memory = merge(runs[memory_label, "/api/v1/consents"])
    lines = ["", "## Intake with the shared rate limiter on and off (PostgreSQL)", "",
             f"Two gunicorn servers ({workers} workers × {threads} threads each) on one database, "
             "one counting limits in process memory, one in Redis "
             "(`CONSENT_RATE_LIMIT_STORAGE=redis://…`); rounds alternate between them. Each "
             "report counts two keys (client network and site), one Redis round trip each.", "",
             "| limits counted | consents/s | ratio to bare POST | ratio to memory | p50 ms | p99 ms "
             "| errors |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for label, _storage in SETTINGS:
        merged = merge(runs[label, "/api/v1/consents"])
        bare = merge(runs[label, "/bench/bare#post"])
        lines.append(f"| {label} | {merged.per_second:.0f} | {merged.per_second / bare.per_second:.2f}"
                     f" | {merged.per_second / memory.per_second:.2f} | {merged.median:.1f} | "
                     f"{merged.percentile(0.99):.1f} | {merged.errors} |")
    return lines
