"""The chain: verify catches every kind of tampering; concurrent appends stay linear."""
import json
import re
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import JSON, Text, cast, delete, func, literal, select, update

from app.extensions import db
from app.ledger.proof import canonical_bytes, chain_hash
from app.models import Checkpoint, ConsentRecord, LedgerHead
from tests.conftest import post_report as post


@pytest.fixture
def five_records(client, make_report):
    """Five records for the test shop."""
    for _ in range(5):
        assert post(client, make_report()).status_code == 201
    return db.session


def _record(seq):
    return db.session.scalar(select(ConsentRecord).filter_by(site_id="testshop", seq=seq))


def _verify(runner):
    db.session.commit()
    return runner.invoke(args=["ledger", "verify", "--site", "testshop"])


def test_intact_ledger_verifies(runner, five_records):
    result = _verify(runner)
    assert result.exit_code == 0
    assert result.output.strip() == "testshop: 5 records, chain intact"


def test_verify_reports_its_speed_on_request(runner, five_records):
    db.session.commit()
    result = runner.invoke(args=["ledger", "verify", "--site", "testshop", "--stats"])
    verdict, timing = result.output.strip().splitlines()
    assert result.exit_code == 0 and verdict == "testshop: 5 records, chain intact"
    assert re.fullmatch(r"testshop: verified in \d+\.\d\d s, [\d,]+ records/s", timing)


def _alter(_session):
    record = _record(3)
    record.content = {**record.content, "choices": {**record.content["choices"], "marketing": True}}


def _alter_column(_session):
    _record(3).event = "deny"


def _delete(session):
    session.execute(delete(ConsentRecord).where(ConsentRecord.seq == 3))


def _reorder(session):
    second, third = _record(2), _record(3)
    session.execute(update(ConsentRecord).where(ConsentRecord.id == second.id).values(seq=-2))
    session.execute(update(ConsentRecord).where(ConsentRecord.id == third.id).values(seq=2))
    session.execute(update(ConsentRecord).where(ConsentRecord.id == second.id).values(seq=3))


def _insert(session):
    # A forged record rewritten into place: new content, renumbered, its own hash recomputed.
    third = _record(3)
    forged = {**third.content, "event": "grant", "consent_id": "forged-0001"}
    session.execute(update(ConsentRecord).where(ConsentRecord.id == third.id).values(
        content=forged, consent_id="forged-0001", record_hash=chain_hash(third.prev_hash, forged)))


def _truncate(session):
    session.execute(delete(ConsentRecord).where(ConsentRecord.seq == 5))


@pytest.mark.parametrize(("tamper", "message"), [
    (_alter, "record seq 3 (" ),
    (_alter_column, "column event differs from the hashed content"),
    (_delete, "record seq 4 ("),
    (_reorder, "record seq 2 ("),
    (_insert, "record seq 4 ("),
    (_truncate, "the chain ends at seq 4 but its head says seq 5"),
])
@pytest.mark.parametrize("parallel", [False, True], ids=["one-pass", "parallel"])
def test_tampering_is_detected_and_named(runner, five_records, tamper, message, parallel,
                                         monkeypatch):
    if parallel:  # two processes, each checking a seq range of its own
        monkeypatch.setattr("app.ledger.verify.PARALLEL_FROM", 2)
        monkeypatch.setattr("os.cpu_count", lambda: 2)
    tamper(five_records)
    result = _verify(runner)
    assert result.exit_code == 1
    assert "BROKEN" in result.output
    assert message in result.output


def test_content_is_stored_as_the_canonical_text_it_hashes(five_records):
    record = _record(2)
    stored = db.session.scalar(select(cast(ConsentRecord.content, Text)).filter_by(seq=2))
    assert stored.encode() == canonical_bytes(record.content)
    assert chain_hash(record.prev_hash, record.content) == record.record_hash


def test_records_stored_as_non_canonical_text_still_verify(runner, five_records):
    # Records written before the content was stored canonically keep their hashes; verify
    # parses them instead of hashing the stored text.
    for seq in (2, 4):
        record = _record(seq)
        text = literal(json.dumps(record.content, indent=1), Text)
        db.session.execute(update(ConsentRecord).where(ConsentRecord.id == record.id).values(
            content=cast(text, JSON) if db.engine.dialect.name == "postgresql" else text))
    db.session.commit()
    db.session.expire_all()
    assert db.session.scalar(select(cast(ConsentRecord.content, Text)).filter_by(seq=4)).count("\n")
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "testshop: 5 records, chain intact"


def test_concurrent_reports_keep_one_linear_chain(app, make_report, runner):
    reports = [make_report() for _ in range(40)]

    def send(report):
        with app.test_client() as client:
            return post(client, report).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(send, reports))
    assert statuses == [201] * 40
    result = _verify(runner)
    assert result.output.strip() == "testshop: 40 records, chain intact"


def test_locked_sqlite_answers_503_and_stores_nothing(migrated_urls, tmp_path, make_report):
    from tests.conftest import make_test_app

    url = migrated_urls("sqlite")
    app = make_test_app(url, tmp_path / "instance",
                        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 0.2}})
    report = make_report()
    blocker = sqlite3.connect(url.removeprefix("sqlite:///"))
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        response = post(app.test_client(), report)
    finally:
        blocker.rollback()
        blocker.close()
    assert response.status_code == 503
    assert response.json["error"]["code"] == "unavailable"
    with app.app_context():
        assert db.session.scalar(select(ConsentRecord).filter_by(event_id=report["event_id"])) is None


def _rewrite_from(session, seq):
    """Rewrite every record from seq on, recomputing each hash and the head: a full forgery."""
    previous = _record(seq - 1).record_hash
    for record in db.session.scalars(select(ConsentRecord).filter_by(site_id="testshop")
                                     .where(ConsentRecord.seq >= seq).order_by(ConsentRecord.seq)):
        record.content = {**record.content, "choices": {**record.content["choices"],
                                                        "marketing": True}}
        record.prev_hash, record.record_hash = previous, chain_hash(previous, record.content)
        previous = record.record_hash
    head = session.get(LedgerHead, "testshop")
    head.head_hash = previous


def _cut_tail_and_head(session):
    session.execute(delete(ConsentRecord).where(ConsentRecord.seq == 5))
    head = session.get(LedgerHead, "testshop")
    head.seq, head.head_hash = 4, _record(4).record_hash


def _forge_signature(session):
    checkpoint = session.scalar(select(Checkpoint))
    checkpoint.head_hash = "f" * 64


def _fake_purge(session):
    # Turn an ordinary checkpoint into a purge anchor and delete everything before it.
    checkpoint = session.scalar(select(Checkpoint).filter_by(seq=4))
    checkpoint.kind = "anchor"
    session.execute(delete(ConsentRecord).where(ConsentRecord.seq <= 4))


@pytest.mark.parametrize(("tamper", "message"), [
    (lambda session: _rewrite_from(session, 3), "differs from the signed checkpoint"),
    (_cut_tail_and_head, "a signed checkpoint covers seq 5 but the chain ends at seq 4"),
    (_forge_signature, "has no valid signature"),
    (_fake_purge, "has no valid signature"),
])
def test_signed_checkpoints_catch_a_rewritten_ledger(app, client, make_report, runner,
                                                      tamper, message):
    app.config["CHECKPOINT_EVERY"] = 1
    for _ in range(5):
        assert post(client, make_report()).status_code == 201
    assert db.session.scalar(select(func.count()).select_from(Checkpoint)) == 5
    tamper(db.session)
    result = _verify(runner)
    assert result.exit_code == 1, result.output
    assert message in result.output


def test_checkpoints_every_n_records_and_verify_with_the_published_key(
        app, client, make_report, runner, tmp_path):
    app.config["CHECKPOINT_EVERY"] = 2
    for _ in range(5):
        post(client, make_report())
    # The first record is signed at once (its site had no checkpoint), then every second one.
    assert [c.seq for c in db.session.scalars(select(Checkpoint).order_by(Checkpoint.id))] == [1, 2, 4]
    assert runner.invoke(args=["ledger", "checkpoint"]).output.startswith("testshop: signed seq 5")
    pem = client.get("/api/v1/ledger/public-key")
    assert pem.status_code == 200 and b"BEGIN PUBLIC KEY" in pem.data
    key_file = tmp_path / "public.pem"
    key_file.write_bytes(pem.data)
    db.session.commit()
    result = runner.invoke(args=["ledger", "verify", "--public-key", str(key_file)])
    assert result.exit_code == 0
    assert "testshop: 5 records, chain intact" in result.output


def test_purge_leaves_a_signed_anchor_and_a_verifiable_ledger(app, client, make_report, runner,
                                                              monkeypatch):
    for number in range(6):
        # The first four reports arrive in 2020: their hashed server_time says so.
        year = 2020 if number < 4 else datetime.now(UTC).year
        monkeypatch.setattr("app.api.views.utc_now",
                            lambda year=year: datetime.now(UTC).replace(year=year))
        post(client, make_report())
    db.session.commit()
    result = runner.invoke(args=["ledger", "purge", "--as-of", "2022-06-01"])
    assert result.output.strip() == "testshop: nothing past its retention on 2022-06-01"
    result = runner.invoke(args=["ledger", "purge"])
    assert "testshop: purged records up to seq 4" in result.output
    assert [r.seq for r in db.session.scalars(select(ConsentRecord))] == [5, 6]
    anchor = db.session.scalar(select(Checkpoint).filter_by(kind="anchor"))
    assert anchor.seq == 4
    verified = _verify(runner)
    assert verified.exit_code == 0, verified.output
    assert "testshop: 2 records, chain intact" in verified.output
    anchor.head_hash = "e" * 64
    assert _verify(runner).exit_code == 1
