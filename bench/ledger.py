"""Ledger benchmarks: recording consents under gunicorn, and verifying a million-record chain."""
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, insert, select, update

from app.ledger.proof import GENESIS_HASH, chain_hash, texts_digest
from app.models import CatalogVersion, ConsentRecord, LedgerHead, TextSet

ROOT = Path(__file__).resolve().parent.parent
ORIGIN = "https://www.shop.ru"


def report_factory(config):
    """Return a function that makes a fresh, valid report of the bench site for each request."""
    texts = config["texts"]["en"]

    def make():
        return json.dumps({
            "event_id": str(uuid.uuid4()), "consent_id": str(uuid.uuid4()),
            "subject_id": str(uuid.uuid4()), "subject_secret": uuid.uuid4().hex * 2,
            "site": "shop", "event": "grant",
            "ui_action": "accept_all",
            "choices": {"mandatory": True, "analytical": True, "marketing": False},
            "catalog_version": 1, "policy_version": "1", "consent_document_version": None,
            "language": "en", "texts_digest": texts["digest"], "banner_build": config["build"],
            "gpc": False, "page": f"{ORIGIN}/", "client_time": "2026-11-22T10:00:00.000Z",
            "expires": "2027-05-21T10:00:00.000Z"}).encode()

    return make


def seed_chain(url, count, batch=20_000):
    """Write a valid chain of count records for the site 'shop' into a database without one.

    The records name the site's stored catalog version and a text set stored for them, as
    real records do, so verify finds what they name.
    """
    engine = create_engine(url)
    previous = GENESIS_HASH
    texts = {"title": "Bench", "accept_all": "Accept all"}
    digest = texts_digest("shop", "en", texts)
    with engine.begin() as connection:
        catalog_hash = connection.scalar(select(CatalogVersion.content_hash).filter_by(
            site_id="shop", version=1))
        connection.execute(insert(TextSet.__table__).values(
            digest=digest, site_id="shop", language="en", content={**texts, "digest": digest},
            created_at=datetime.now(UTC)))
        for start in range(1, count + 1, batch):
            rows = []
            for seq in range(start, min(start + batch, count + 1)):
                content = _content(seq, digest, catalog_hash)
                record_hash = chain_hash(previous, content)
                rows.append({"site_id": "shop", "seq": seq, "record_id": content["record_id"],
                             "event_id": content["event_id"], "consent_id": content["consent_id"],
                             "subject_id": content["subject_id"], "event": "grant",
                             "server_time": datetime.fromisoformat(content["server_time"]),
                             "content": content,
                             "prev_hash": previous, "record_hash": record_hash})
                previous = record_hash
            connection.execute(insert(ConsentRecord.__table__), rows)
        # The site's import created its empty head; it now points at the chain's end.
        connection.execute(update(LedgerHead.__table__).where(LedgerHead.site_id == "shop")
                           .values(seq=count, head_hash=previous))
    engine.dispose()


def _content(seq, digest, catalog_hash):
    ident = f"{seq:012d}"
    return {"event_id": f"bench-{ident}", "consent_id": f"consent-{ident}",
            "subject_id": f"subject-{ident}", "record_id": f"record-{ident}", "seq": seq,
            "site": "shop", "event": "grant", "ui_action": "accept_all",
            "choices": {"analytical": True, "mandatory": True, "marketing": False},
            "trackers": ["ga4", "yandex_metrica"], "server_time": datetime.now(UTC).isoformat(),
            "client_time": "2026-11-22T10:00:00.000Z", "expires_at": "2027-05-21T10:00:00.000Z",
            "language": "en", "regime": ["gdpr"], "policy_version": "1",
            "consent_document_version": None, "catalog_version": 1, "catalog_hash": catalog_hash,
            "banner_build": "0" * 16, "texts_digest": digest, "gpc": False,
            "page_origin": ORIGIN, "page_path": "/", "client_ip": "203.0.113.0/24",
            "user_agent": {"browser": "Chrome", "version": "156", "os": "Linux"}}


def time_verify(env):
    """Run `flask ledger verify --site shop --stats`; return (seconds, peak MiB, verdict, rate).

    seconds is the whole command, start-up included; rate is the records/s the command measured
    around the verification itself.
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "bench.wsgi", "ledger", "verify", "--site", "shop",
         "--stats"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    output = process.stdout.read().decode()
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stdout.close()
    if process.returncode:
        raise SystemExit(f"bench: ledger verify failed: {output}")
    verdict, timing = output.strip().splitlines()
    rate = float(timing.rsplit(", ", 1)[1].split()[0].replace(",", ""))
    return time.perf_counter() - started, usage.ru_maxrss / 1024, verdict, rate


def measure_verify(name, url, counts):
    """Seed chains of growing length and time `ledger verify` on each; return figure rows."""
    from bench.http import flask_env, prepare_database

    rows = []
    for count in counts:
        database_url = url(count)
        env = flask_env(database_url)
        prepare_database(env, "bench/shop.yaml")
        seed_chain(database_url, count)
        seconds, peak_mib, verdict, rate = time_verify(env)
        rows.append((name, count, rate, seconds, count / seconds, peak_mib, verdict))
    return rows


def verify_lines(rows):
    """Return the verify figures as Markdown."""
    lines = ["", "## Ledger verify", "",
             "`flask ledger verify --site shop --stats` over a valid chain written straight into "
             "a fresh database. *Verify records/s* is what the command measures around the "
             "verification; *command* counts the whole process, its ~2 s of Python start-up "
             "included. The peak memory is the verifying processes' maximum resident set.", "",
             "| database | records | verify records/s | command s | command records/s | "
             "peak memory MiB | verdict |",
             "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for name, count, verify_rate, seconds, rate, peak, output in rows:
        lines.append(f"| {name} | {count:,} | {verify_rate:,.0f} | {seconds:.1f} | {rate:,.0f} | "
                     f"{peak:.0f} | {output} |")
    return lines
