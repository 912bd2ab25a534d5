"""Export benchmark: `flask ledger export --format csv` over a million-record chain, time and memory."""
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.ledger import seed_chain

ROOT = Path(__file__).resolve().parent.parent


#: Runs a command and prints its peak RSS in KiB. A child forked straight from the benchmark would
#: inherit the benchmark's own high-water mark (Linux keeps ru_maxrss across exec); a small launcher
#: keeps that mark small.
LAUNCHER = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")


def time_export(env, folder):
    """Run the CSV export in a child process; return (seconds, peak RSS in MiB, file MiB, output)."""
    output = Path(folder) / "export.csv"
    started = time.perf_counter()
    process = subprocess.run(
        [sys.executable, "-c", LAUNCHER, sys.executable, "-m", "flask", "--app", "bench.wsgi",
         "ledger", "export", "--format", "csv", "--output", str(output), "--site", "shop"],
        cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if process.returncode:
        raise SystemExit(f"bench: ledger export failed: {process.stdout}{process.stderr}")
    *lines, peak_kib = process.stdout.strip().splitlines()
    size = output.stat().st_size / 2**20
    key = Path(folder) / "ledger.pem"
    key.write_text(subprocess.run(
        [sys.executable, "-m", "flask", "--app", "bench.wsgi", "ledger", "public-key"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout)
    verified = subprocess.run(
        [sys.executable, "tools/verify_export.py", str(output), f"{output}.manifest.json",
         "--public-key", str(key)], cwd=ROOT, capture_output=True, text=True)
    if verified.returncode:
        raise SystemExit(f"bench: the export does not verify: {verified.stderr}")
    output.unlink()
    return seconds, int(peak_kib) / 1024, size, lines[-1]


def measure_export(name, url, counts):
    """Seed chains of growing length and time a CSV export of each; return figure rows."""
    from bench.http import flask_env, prepare_database

    rows = []
    for count in counts:
        database_url = url(count)
        env = flask_env(database_url)
        prepare_database(env, "bench/shop.yaml")
        seed_chain(database_url, count)
        with tempfile.TemporaryDirectory(prefix="consent-export-") as folder:
            seconds, peak_mib, size_mib, _output = time_export(env, folder)
        rows.append((name, count, seconds, count / seconds, peak_mib, size_mib))
    return rows


def export_lines(rows):
    """Return the export figures as Markdown."""
    lines = ["", "## Ledger export", "",
             "`flask ledger export --format csv --site shop` of a valid chain written straight into "
             "a fresh database, timed from process start to exit (the file is then checked with "
             "tools/verify_export.py, not timed); the peak memory is the exporting process's "
             "maximum resident set. Targets: at least 50,000 rows/s, under 200 MiB and flat.", "",
             "| database | records | rows/s | seconds | peak memory MiB | file MiB |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, count, seconds, rate, peak, size in rows:
        lines.append(f"| {name} | {count:,} | {rate:,.0f} | {seconds:.1f} | {peak:.0f} | {size:,.0f} |")
    return lines
