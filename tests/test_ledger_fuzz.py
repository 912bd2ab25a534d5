"""Fuzzing: schemathesis against the OpenAPI document, hypothesis against intake and chain."""
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import func, select

from app.extensions import db
from app.ledger.proof import GENESIS_HASH, chain_hash
from app.ledger.verify import verify_chain
from app.models import ConsentRecord
from tests.conftest import post_report

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def _count():
    return db.session.scalar(select(func.count()).select_from(ConsentRecord))


@dataclass(frozen=True)
class Row:
    """A record as verify_chain reads it, without a database."""

    seq: int
    record_id: str
    event_id: str
    consent_id: str
    subject_id: str
    event: str
    server_time: str
    content: dict
    prev_hash: str
    record_hash: str


@st.composite
def chains(draw):
    """Draw a valid chain of 1 to 30 records with arbitrary content."""
    rows, previous = [], GENESIS_HASH
    for seq in range(1, draw(st.integers(1, 30)) + 1):
        moment = datetime(2026, 11, 22, tzinfo=UTC) + timedelta(
            microseconds=draw(st.integers(0, 10**12)))
        content = {"seq": seq, "record_id": f"r{seq}", "event_id": f"e{seq}", "site": "site",
                   "consent_id": draw(st.text(max_size=8)), "server_time": moment.isoformat(),
                   "subject_id": "s", "event": draw(st.sampled_from(["grant", "deny"])),
                   "choices": draw(st.dictionaries(st.text(max_size=5), st.booleans(),
                                                   max_size=3))}
        digest = chain_hash(previous, content)
        # The column as SQLite keeps it: UTC, a space, always microseconds.
        column = moment.strftime("%Y-%m-%d %H:%M:%S.%f")
        rows.append(Row(seq, content["record_id"], content["event_id"], content["consent_id"], "s",
                        content["event"], column, content, previous, digest))
        previous = digest
    return rows


@dataclass
class Head:
    seq: int
    head_hash: str


@given(chains())
def test_any_valid_chain_verifies(rows):
    verdict = verify_chain("site", rows, Head(rows[-1].seq, rows[-1].record_hash))
    assert verdict.ok and verdict.count == len(rows)


@given(chains(), st.data())
def test_any_single_change_is_detected(rows, data):
    head = Head(rows[-1].seq, rows[-1].record_hash)
    index = data.draw(st.integers(0, len(rows) - 1))
    kind = data.draw(st.sampled_from(["content", "drop", "swap", "cut", "column"]))
    tampered = list(rows)
    if kind == "column":  # a repeated column moved away from the hashed content
        column = data.draw(st.sampled_from(["event", "consent_id", "server_time", "seq"]))
        row = rows[index]
        value = {"event": "withdraw", "consent_id": row.consent_id + "x",
                 "server_time": "2000-01-01 00:00:00.000000", "seq": row.seq + 100}[column]
        tampered[index] = replace(row, **{column: value})
    elif kind == "content":
        row = rows[index]
        tampered[index] = replace(row, content={**row.content, "choices": {"forged": True}})
        if tampered[index].content == row.content:
            return
    elif kind == "drop":
        del tampered[index]
    elif kind == "swap" and len(rows) > 1:
        other = (index + 1) % len(rows)
        tampered[index], tampered[other] = rows[other], rows[index]
    else:
        tampered = rows[:index]
    if tampered != rows:
        assert not verify_chain("site", tampered, head).ok


@given(body=st.one_of(
    st.binary(max_size=300),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                 lambda children: st.lists(children, max_size=4) |
                 st.dictionaries(st.text(max_size=12), children, max_size=6), max_leaves=20)
    .map(lambda value: __import__("json").dumps(value)),
))
@FUZZ
def test_intake_never_fails_on_garbage(client, make_report, body):
    before = _count()
    response = post_report(client, body)
    assert response.status_code < 500
    assert response.json["error"]["field"] is None or isinstance(response.json["error"]["field"],
                                                                 str)
    assert _count() == before


@given(changes=st.dictionaries(
    st.sampled_from(["event", "ui_action", "choices", "catalog_version", "language", "page",
                     "texts_digest", "site", "consent_id", "gpc"]),
    st.none() | st.booleans() | st.integers(-5, 10**9) | st.text(max_size=30) |
    st.dictionaries(st.text(max_size=12), st.booleans(), max_size=4), min_size=1))
@FUZZ
def test_intake_refuses_mutated_reports_without_storing(client, make_report, changes):
    before = _count()
    response = post_report(client, make_report(**changes))
    assert response.status_code in (200, 201, 400, 403, 404, 409, 422)
    if response.status_code >= 400:
        assert _count() == before
        assert set(response.json["error"]) == {"code", "message", "field"}


def test_api_conforms_to_its_openapi_document(app, make_report):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    # The intake, impressions, leak reports, receipts, the key, two documents.
    assert len(operations) == 7

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def conforms(case):
            before = _count()
            response = case.call(headers={"Origin": "https://www.testshop.test"})
            # A schema cannot say which receipts carry a valid signature or which category sets a
            # site's catalog has; those schema-valid requests are rightly refused (400, 422).
            case.validate_response(response, excluded_checks=[positive_data_acceptance])
            assert response.status_code < 500
            if response.status_code >= 400:
                assert _count() == before

        conforms()
