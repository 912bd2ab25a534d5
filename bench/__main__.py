"""Run every benchmark and write bench/RESULTS.md: python -m bench [options]."""
import argparse
import datetime
import os
import platform
import subprocess
import sys
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg

from bench.export import export_lines, measure_export
from bench.http import flask_env, http_lines, measure_backend, prepare_database
from bench.instructions import instruction_lines, measure_instructions
from bench.ledger import measure_verify, verify_lines
from bench.limits import limits_lines, measure_limits

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
#: Benchmark parts, in the order they run.
PARTS = ("banner", "scan", "http", "limits", "instructions", "verify", "export")
POSTGRES_ADMIN_URL = os.environ.get("CONSENT_TEST_POSTGRES_URL",
                                    "postgresql://postgres@127.0.0.1:5432/test")


def main():
    """Measure everything side by side and write the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=4.0, help="length of one load run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per endpoint")
    parser.add_argument("--banner-runs", type=int, default=15,
                        help="page loads per banner and site")
    parser.add_argument("--banner-throttled-runs", type=int, default=15,
                        help="throttled visits (first, accept, repeat) per banner and site")
    parser.add_argument("--verify-records", type=int, default=1_000_000,
                        help="length of the longest chain to verify")
    parser.add_argument("--export-records", type=int, default=1_000_000,
                        help="length of the longest chain to export")
    parser.add_argument("--only", choices=PARTS, action="append",
                        help="run only these parts and print them; RESULTS.md is left as it is")
    options = parser.parse_args()
    parts = set(options.only or PARTS)
    banner = measure_banner(options) if "banner" in parts else None
    scan = measure_scan_part() if "scan" in parts else None
    sections, verify_rows, export_rows, instructions, limit_runs = [], [], [], None, None
    with databases() as (sqlite_url, postgres_url):
        if "http" in parts:
            sections.append(measure_backend("SQLite", sqlite_url("http"), options))
            sections.append(measure_backend("PostgreSQL", postgres_url("http"), options))
        if "limits" in parts:
            limit_runs = measure_limits(postgres_url("limits"), options)
        if "instructions" in parts:
            instructions = measure_instructions(lambda label: sqlite_url(f"callgrind-{label}"))
        if "verify" in parts:
            counts = sorted({options.verify_records // 4, options.verify_records})
            verify_rows += measure_verify("SQLite", lambda n: sqlite_url(f"verify{n}"), counts)
            verify_rows += measure_verify("PostgreSQL", lambda n: postgres_url(f"verify{n}"),
                                          counts)
        if "export" in parts:
            counts = sorted({options.export_records // 4, options.export_records})
            export_rows += measure_export("SQLite", lambda n: sqlite_url(f"export{n}"), counts)
            export_rows += measure_export("PostgreSQL", lambda n: postgres_url(f"export{n}"),
                                          counts)
    lines = result_lines(options, banner, sections, verify_rows, export_rows, instructions,
                         limit_runs, scan)
    if options.only:
        print("\n".join(lines))
        return
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(RESULTS.read_text(encoding="utf-8"))


@contextmanager
def databases():
    """Yield URL factories for throwaway SQLite files and PostgreSQL databases; drop them after."""
    folder = Path(tempfile.mkdtemp(prefix="consent-bench-"))
    created = []
    server = POSTGRES_ADMIN_URL.split("://", 1)[1].rsplit("/", 1)[0]

    def postgres_url(label):
        name = f"consent_bench_{label}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return f"postgresql+psycopg://{server}/{name}"

    try:
        yield (lambda label: f"sqlite:///{folder / (label + '.sqlite3')}"), postgres_url
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            for name in created:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure_banner(options):
    """Build the benchmark sites' scripts and race them against vanilla-cookieconsent."""
    from bench.banner import measure, prepare_sites
    from bench.serve import Web

    folder = Path(tempfile.mkdtemp(prefix="consent-bench-"))
    env = flask_env(f"sqlite:///{folder / 'banner.sqlite3'}")
    prepare_database(env, "bench/shop.yaml", "bench/shop5.yaml")
    os.environ.update(env)
    from bench.wsgi import app

    web = Web()
    try:
        sites = prepare_sites(app, web)
        return measure(web, sites, runs=options.banner_runs,
                       throttled_runs=options.banner_throttled_runs)
    finally:
        web.close()


def measure_scan_part():
    """Scan a 20-page local shop and weigh its banner with the leak watcher (bench/scan.py)."""
    from bench.scan import measure_scan, shop_with_leak_reports
    from bench.serve import Web

    folder = Path(tempfile.mkdtemp(prefix="consent-bench-"))
    env = flask_env(f"sqlite:///{folder / 'scan.sqlite3'}")
    prepare_database(env, str(shop_with_leak_reports()))
    # The app of bench.wsgi reads its settings once; the banner part, if it ran, made it.
    os.environ.update(env)
    from app import create_app

    web = Web()
    try:
        return measure_scan(create_app(), web)
    finally:
        web.close()


def result_lines(options, banner, sections, verify_rows, export_rows=(), instructions=None,
                 limit_runs=None, scan=None):
    """Return the figures as Markdown lines with the command that made them."""
    from bench.banner import banner_lines

    command = (f"python -m bench --seconds {options.seconds:g} --rounds {options.rounds} "
               f"--banner-runs {options.banner_runs} "
               f"--banner-throttled-runs {options.banner_throttled_runs} "
               f"--verify-records {options.verify_records} "
               f"--export-records {options.export_records}")
    chromium = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True,
                              text=True).stdout.strip()
    lines = ["# Benchmark results", "",
             f"Command: `make bench` (`{command}`)  ",
             f"Run: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} "
             f"cores, Python {platform.python_version()}, {chromium}.",
             "", "Every comparison is made inside one run, side by side, because this machine is "
             "noisy: endpoints are loaded in interleaved rounds and compared with a bare JSON "
             "endpoint on the same server; banner page loads alternate between the two banners."]
    if banner is not None:
        lines += banner_lines(banner)
    if scan is not None:
        from bench.scan import scan_lines

        lines += scan_lines(scan)
    for section in sections:
        lines += http_lines(section)
    if limit_runs:
        lines += limits_lines(limit_runs)
    if instructions:
        lines += instruction_lines(instructions)
    if verify_rows:
        lines += verify_lines(verify_rows)
    if export_rows:
        lines += export_lines(export_rows)
    return lines


if __name__ == "__main__":
    sys.exit(main())
