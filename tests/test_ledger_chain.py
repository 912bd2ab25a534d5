"""The chain: verify catches every kind of tampering; concurrent appends stay linear."""
import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import delete, select, update

from app.extensions import db
from app.ledger.proof import chain_hash
from app.models import ConsentRecord
from tests.test_ledger_api import make_report, post  # noqa: F401  (fixture)


@pytest.fixture
def five_records(client, make_report):  # noqa: F811
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
def test_tampering_is_detected_and_named(runner, five_records, tamper, message):
    tamper(five_records)
    result = _verify(runner)
    assert result.exit_code == 1
    assert "BROKEN" in result.output
    assert message in result.output


def test_concurrent_reports_keep_one_linear_chain(app, make_report, runner):  # noqa: F811
    reports = [make_report() for _ in range(40)]

    def send(report):
        with app.test_client() as client:
            return post(client, report).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(send, reports))
    assert statuses == [201] * 40
    result = _verify(runner)
    assert result.output.strip() == "testshop: 40 records, chain intact"


def test_locked_sqlite_answers_503_and_stores_nothing(migrated_urls, tmp_path, make_report):  # noqa: F811
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
