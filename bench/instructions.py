"""Instructions per request, counted by valgrind: a consent against a bare request, free of noise.

Throughput on this shared 2-core machine moves by ±15% between runs. Callgrind instead counts
the instructions a request executes in user space, which repeat for the same code and input
whatever else the machine is doing: exactly for the bare request, within 0.1% for a consent,
whose ids are random. The app is called in-process through WSGI, so the
count covers Flask, the view, the drivers and SQLite, but not the HTTP server (the same for both
requests) nor the kernel (the commit's writes and fsync, which only the consent pays).

Collection is switched on only inside itertools.starmap's step, which calls each prepared
request in turn: start-up, warm-up and the building of the requests are not counted.
"""
import os
import shutil
import subprocess
import sys
import tempfile
from functools import partial
from itertools import starmap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: (label, path): the measured requests; a consent is a new report each time.
KINDS = (("POST bare JSON (baseline)", "/bench/bare"),
         ("POST /api/v1/consents (durable)", "/api/v1/consents"))
#: The C function each counted request runs inside (CPython's itertools.starmap step).
TOGGLE = "starmap_next"
WARM_UP = 50
#: Counted requests of each kind.
REQUESTS = 300


def available():
    """Tell whether valgrind is installed."""
    return shutil.which("valgrind") is not None


def measure_instructions(url_for, requests=REQUESTS):
    """Count instructions per request of each kind, each in its own process and database;
    return None without valgrind."""
    from bench.http import flask_env, prepare_database

    if not available():
        print("bench: valgrind is not installed; instruction counts skipped", file=sys.stderr)
        return None

    folder = Path(tempfile.mkdtemp(prefix="consent-bench-callgrind-"))
    processes = {}
    for label, path in KINDS:
        # A fixed hash seed: dictionaries and sets then take the same steps in every run.
        env = {**flask_env(url_for(path.rsplit("/", 1)[1])), "PYTHONHASHSEED": "0"}
        prepare_database(env, "bench/shop.yaml")
        output = folder / f"{path.rsplit('/', 1)[1]}.callgrind"
        processes[label] = (output, subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--toggle-collect={TOGGLE}",
             f"--callgrind-out-file={output}", sys.executable, "-m", "bench.instructions", path,
             str(requests)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True))
    counts = {}
    for label, (output, process) in processes.items():
        _out, errors = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"bench: counting {label} failed:\n{errors[-2000:]}")
        counts[label] = _total(output) / requests
    shutil.rmtree(folder, ignore_errors=True)
    return counts


def _total(callgrind_output):
    for line in Path(callgrind_output).read_text().splitlines():
        if line.startswith(("totals:", "summary:")):
            return int(line.split()[1])
    raise SystemExit(f"bench: no instruction total in {callgrind_output}")


def instruction_lines(counts, requests=REQUESTS):
    """Return the instruction counts as Markdown."""
    baseline = counts[KINDS[0][0]]
    lines = ["", "## Instructions per request (callgrind, SQLite)", "",
             f"valgrind's callgrind counts the user-space instructions of {requests} requests of "
             "each kind, called in-process through WSGI after a warm-up: Flask, the view, the "
             "drivers and SQLite, without the HTTP server and the kernel. The count repeats "
             "from run to run (exactly for the bare request, within 0.1% for a consent, whose "
             "ids are random). *bare ÷ this* reads like the throughput ratio: 0.5 means "
             "twice the instructions of a bare request.", "",
             "| request | instructions | bare ÷ this |", "| --- | ---: | ---: |"]
    for label, _path in KINDS:
        lines.append(f"| {label} | {counts[label]:,.0f} | {baseline / counts[label]:.2f} |")
    return lines


def _serve(path, requests):
    """Run inside valgrind: warm up, then call the app with `requests` prepared requests."""
    from werkzeug.test import EnvironBuilder

    from app.banner.bundle import read_bundle_config
    from bench.ledger import ORIGIN, report_factory
    from bench.wsgi import app

    config = read_bundle_config(app.test_client().get("/c/shop.js").data)
    make_report = report_factory(config)
    body = make_report if path == "/api/v1/consents" else (lambda: b'{"bench": true}')

    def environ():
        return EnvironBuilder(path=path, method="POST", data=body(), environ_base={
            "REMOTE_ADDR": "203.0.113.7"}, headers={"Content-Type": "text/plain",
                                                    "Origin": ORIGIN}).get_environ()

    for _ in range(WARM_UP):
        _call(app, environ())
    prepared = [(environ(),) for _ in range(requests)]
    statuses = list(starmap(partial(_call, app), prepared))
    refused = [status for status in statuses if not status.startswith(("200", "201"))]
    if refused:
        raise SystemExit(f"bench: {len(refused)} requests to {path} failed, first {refused[0]}")


def _call(app, environ):
    status = []
    for _chunk in app(environ, lambda line, headers, exc_info=None: status.append(line)):
        pass
    return status[0]


if __name__ == "__main__":
    os.chdir(ROOT)
    _serve(sys.argv[1], int(sys.argv[2]))
