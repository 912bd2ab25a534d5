"""The insider catalogue: attacks made directly on stored rows, as a database administrator
without the signing key (or an operator with it) would make them, on SQLite and PostgreSQL.
Each must be caught and named."""
import hashlib
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, text, update

from app.extensions import db
from app.ledger.proof import chain_hash
from app.models import Checkpoint, ConsentRecord, LedgerHead, Site, SubjectKey, utc_now
from app.runtime import runtime
from app.signing import signing_key
from app.ticker import LedgerTicker
from tests.conftest import post_report as post

SITE = "testshop"


@pytest.fixture
def three_records(client, make_report):
    """Three test shop records; the first one is signed at once."""
    for _ in range(3):
        assert post(client, make_report()).status_code == 201
    db.session.commit()
    return db.session


def _verify(runner, *args):
    db.session.commit()
    return runner.invoke(args=["ledger", "verify", *args])


def _record(seq):
    return db.session.scalar(select(ConsentRecord).filter_by(site_id=SITE, seq=seq))


def _count(model=ConsentRecord):
    return db.session.scalar(select(func.count()).select_from(model))


def _rewrite_from(seq, head=True):
    """Rewrite every record from seq on, recomputing each hash (and the head): a full forgery
    by someone with database access but no key."""
    previous = _record(seq - 1).record_hash if seq > 1 else "0" * 64
    for record in db.session.scalars(select(ConsentRecord).filter_by(site_id=SITE)
                                     .where(ConsentRecord.seq >= seq).order_by(ConsentRecord.seq)):
        record.content = {**record.content, "choices": {**record.content["choices"],
                                                        "marketing": True}}
        record.prev_hash, record.record_hash = previous, chain_hash(previous, record.content)
        previous = record.record_hash
    if head:
        db.session.get(LedgerHead, SITE).head_hash = previous
    db.session.commit()


# ---- every stored value is covered --------------------------------------------------------------

def test_back_dated_rows_are_caught_and_never_purged(runner, three_records):
    db.session.execute(text("UPDATE consent_records SET server_time = '2000-01-01 00:00:00' "
                            "WHERE site_id = :site"), {"site": SITE})
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"record seq 1 ({_record(1).record_id}): column server_time differs from the hashed " \
           "content (altered)" in result.output
    purged = runner.invoke(args=["ledger", "purge"])
    assert purged.exit_code == 1
    assert f"{SITE}: not purged, the chain does not verify: record seq 1" in purged.output
    assert _count() == 3 and not db.session.scalar(select(Checkpoint).filter_by(kind="anchor"))


@pytest.mark.parametrize(("column", "value"), [
    ("record_id", "00000000-0000-0000-0000-000000000000"), ("event_id", "evt-forged"),
    ("consent_id", "cns-forged"), ("subject_id", "sbj-forged"), ("event", "withdraw"),
    ("server_time", "2031-01-01 00:00:00"),
])
def test_any_repeated_column_changed_is_named(runner, client, three_records, column, value):
    db.session.execute(text(f"UPDATE consent_records SET {column} = :value "
                            "WHERE site_id = :site AND seq = 2"), {"value": value, "site": SITE})
    result = _verify(runner)
    assert result.exit_code == 1
    assert "record seq 2 (" in result.output
    assert f"column {column} differs from the hashed content (altered)" in result.output


def test_a_row_moved_to_another_site_is_caught(runner, three_records, write_site_file,
                                                site_document):
    runner.invoke(args=["sites", "import", str(write_site_file(site_document()))])
    db.session.execute(update(ConsentRecord).where(ConsentRecord.seq == 3).values(
        site_id="example"))
    result = _verify(runner)
    assert result.exit_code == 1
    assert "example: BROKEN after 0 good records: a record at seq 3 lies past the chain's head" \
        in result.output
    assert "testshop: BROKEN after 2 good records: the chain ends at seq 2" in result.output


def test_the_console_and_the_record_page_name_the_changed_column(app, client, three_records,
                                                                 make_user):
    from tests.conftest import login

    db.session.execute(text("UPDATE consent_records SET event = 'withdraw' WHERE seq = 2"))
    db.session.commit()
    login(client, make_user("auditor"))
    page = client.get("/console/integrity").get_data(as_text=True)
    assert "column event differs from the hashed content" in page
    record = client.get(f"/console/records/{_record(2).record_id}").get_data(as_text=True)
    assert "column event differs from the hashed content" in record


def test_an_edited_catalog_or_text_set_is_caught(runner, three_records):
    from app.models import CatalogVersion, TextSet

    text_set = db.session.scalar(select(TextSet).filter_by(language="en"))
    text_set.content = {**text_set.content, "reject_all": "OK"}
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"text set {text_set.digest} (en): its texts do not match their digest" in result.output
    db.session.rollback()
    db.session.execute(delete(TextSet))  # the texts the visitors saw, gone
    result = _verify(runner)
    assert "records name the text set" in result.output and result.exit_code == 1
    db.session.rollback()
    catalog = db.session.scalar(select(CatalogVersion))
    forged = {**catalog.content, "marketing": []}
    from app.sites.catalog import content_hash

    db.session.execute(update(CatalogVersion).where(CatalogVersion.id == catalog.id).values(
        content=forged, content_hash=content_hash(forged)))  # rehashed: the records disagree
    result = _verify(runner)
    assert result.exit_code == 1
    assert "records name catalog version 1 with hash" in result.output


# ---- checkpoints by time ------------------------------------------------------------------------

def test_a_rewrite_before_the_first_count_based_checkpoint_is_caught(app, runner, three_records):
    assert app.config["CHECKPOINT_EVERY"] == 1000
    assert [c.seq for c in db.session.scalars(select(Checkpoint))] == [1]  # signed at once
    _rewrite_from(1)
    result = _verify(runner)
    assert result.exit_code == 1
    assert "record seq 1 (" in result.output and "differs from the signed checkpoint" in result.output


@pytest.mark.parametrize("signer", ["append", "ticker"])
def test_a_rewrite_after_the_interval_is_caught(app, client, make_report, runner, three_records,
                                                signer):
    app.config["CHECKPOINT_INTERVAL"] = 0  # the interval has passed
    if signer == "append":
        assert post(client, make_report()).status_code == 201  # signed in the append path
        last = 4
    else:
        LedgerTicker(app).tick()  # the site went quiet; the ticker signs its head
        last = 3
    assert db.session.scalar(select(func.max(Checkpoint.seq))) == last
    _rewrite_from(2)
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"record seq {last} (" in result.output
    assert "differs from the signed checkpoint" in result.output


def test_the_ticker_signs_only_moved_chains_and_only_once(app, runner, three_records):
    app.config["CHECKPOINT_INTERVAL"] = 0
    LedgerTicker(app).tick()
    LedgerTicker(app).tick()  # a second process: nothing moved since
    assert [c.seq for c in db.session.scalars(select(Checkpoint).order_by(Checkpoint.id))] == [1, 3]
    app.config["CHECKPOINT_INTERVAL"] = 300
    assert _verify(runner).exit_code == 0


def test_the_last_checkpoint_deleted_then_a_rewrite_is_caught(app, runner, three_records,
                                                              monkeypatch):
    app.config["CHECKPOINT_INTERVAL"] = 0
    LedgerTicker(app).tick()
    app.config["CHECKPOINT_INTERVAL"] = 300
    kept = runner.invoke(args=["ledger", "checkpoint"]).output.split("log digest ")[1].strip()
    db.session.execute(delete(Checkpoint).where(Checkpoint.seq == 3))
    _rewrite_from(2)
    # The digest the auditor kept outside the database is gone from the log.
    result = _verify(runner, "--anchor", kept)
    assert result.exit_code == 1
    assert f"the checkpoint {kept} kept as an anchor is not in the log" in result.output
    # Without it, the records after the last checkpoint left are overdue for one, and named.
    later = utc_now() + timedelta(hours=1)
    monkeypatch.setattr("app.cli.ledger.utc_now", lambda: later)
    result = _verify(runner)
    assert f"{SITE}: coverage: WARNING: record seq 2 of " in result.output
    assert "is not covered by a signed checkpoint" in result.output
    # Once the service signs the forged head, the record's first checkpoint came too late.
    monkeypatch.setattr("app.ledger.repository.utc_now", lambda: later)
    runner.invoke(args=["ledger", "checkpoint"])
    result = _verify(runner)
    assert "coverage: WARNING: record seq 2 of " in result.output
    assert "was first covered by the checkpoint of" in result.output


# ---- subject-bound reports ----------------------------------------------------------------------

def test_a_forged_report_for_a_known_subject_is_refused(client, make_report):
    assert post(client, make_report()).status_code == 201
    receipt = post(client, make_report()).json["receipt"]
    shown = client.get(f"/api/v1/receipts/{receipt}").json
    # What the public receipt shows lets nobody report for the subject: only the secret's hash.
    assert "subject_secret" not in json.dumps(shown["record"]).replace("subject_secret_hash", "")
    forged = make_report(event="withdraw", ui_action="withdraw",
                         subject_id=shown["record"]["subject_id"], subject_secret="g" * 32,
                         choices={"mandatory": True, "analytical": False, "marketing": False})
    response = post(client, forged)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "subject_not_proven"
    assert response.json["error"]["field"] == "subject_secret"
    assert _count() == 2
    # Replaying a stored event id with another secret gets nothing either.
    replay = make_report(event_id="evt-00000000", subject_secret="g" * 32)
    assert post(client, replay).status_code == 403


def test_a_report_without_its_secret_is_refused_and_subjects_from_before_cannot_be_claimed(
        client, make_report):
    report = make_report()
    del report["subject_secret"]
    response = post(client, report)
    assert (response.status_code, response.json["error"]["field"]) == (400, "subject_secret")
    # A subject recorded before reports were bound to subjects has no secret to present.
    db.session.add(SubjectKey(site_id=SITE, subject_id="sbj-legacy-01", secret_hash=None))
    db.session.commit()
    response = post(client, make_report(subject_id="sbj-legacy-01"))
    assert response.json["error"]["code"] == "subject_not_proven" and _count() == 0


def test_the_first_report_keeps_only_the_secrets_hash(client, make_report):
    import hashlib

    report = make_report()
    assert post(client, report).status_code == 201
    stored = db.session.scalar(select(ConsentRecord))
    digest = hashlib.sha256(report["subject_secret"].encode()).hexdigest()
    assert stored.content["subject_secret_hash"] == digest
    assert report["subject_secret"] not in json.dumps(stored.content)
    assert db.session.get(SubjectKey, (SITE, report["subject_id"])).secret_hash == digest


# ---- the operator, who holds the key ------------------------------------------------------------

def test_verify_uses_the_services_own_key_and_fails_without_one(app, runner, three_records,
                                                                tmp_path):
    from app.signing import signing_key_path

    checkpoint = db.session.scalar(select(Checkpoint))
    checkpoint.signature = checkpoint.signature[::-1]
    result = _verify(runner)
    assert result.exit_code == 1 and "has no valid signature" in result.output
    db.session.rollback()
    signing_key_path(app).unlink()
    runtime(app).signing_keys.clear()
    result = _verify(runner)
    assert result.exit_code == 1
    assert "cannot check checkpoint signatures" in result.output


def test_a_checkpoint_re_signed_by_the_operator_keeps_its_key_id(runner, three_records, app):
    checkpoint = db.session.scalar(select(Checkpoint))
    checkpoint.key_id = "0" * 16
    result = _verify(runner)
    assert result.exit_code == 1
    assert "column key_id differs from the key that signed it" in result.output



def test_migration_marks_subjects_recorded_before_it_as_unprovable(tmp_path):
    from flask_migrate import upgrade

    from tests.conftest import insert_site_as_of_0009, make_test_app

    app = make_test_app(f"sqlite:///{tmp_path / 'old.sqlite3'}", tmp_path / "instance")
    with app.app_context():
        upgrade(revision="0009")
        insert_site_as_of_0009(db.session, "sens")
        db.session.execute(text(
            "INSERT INTO consent_records (site_id, seq, record_id, event_id, consent_id, subject_id,"
            " event, server_time, content, prev_hash, record_hash) VALUES ('sens', 1, 'r-1', 'e-1',"
            " 'c-1', 'sbj-before', 'grant', '2026-11-01 00:00:00.000000', '{}', :zero, :zero)"),
            {"zero": "0" * 64})
        db.session.commit()
        upgrade()
        assert db.session.get(SubjectKey, ("sens", "sbj-before")).secret_hash is None
        # 0011 keeps the site's settings under their site file names.
        site = db.session.get(Site, "sens")
        assert site.trackers == {"yandex_metrica": "12345678"}
        assert (site.regime, site.gpc, site.client_ip) == (["ru152"], "refuse", "hash")
        db.session.remove()
        db.engine.dispose()


# ---- exports sign only what verifies --------------------------------------------------------

def _export_and_check(runner, tmp_path, *filters, fmt="ndjson", tamper=None):
    """Export as the CLI does, let tamper(file, manifest file) edit what was written, and verify
    it offline with the pinned key; return both outcomes."""
    out = tmp_path / f"proof.{fmt}"
    exported = runner.invoke(args=["ledger", "export", "--format", fmt, "--output", str(out),
                                   *filters])
    if tamper is not None:
        tamper(out, Path(f"{out}.manifest.json"))
    return exported, _check_offline(runner, tmp_path, out)


def _check_offline(runner, tmp_path, out):
    from tests.conftest import PROJECT_ROOT

    pem = tmp_path / "ledger.pem"
    pem.write_text(runner.invoke(args=["ledger", "public-key"]).output)
    return subprocess.run([sys.executable, str(PROJECT_ROOT / "tools" / "verify_export.py"),
                           str(out), f"{out}.manifest.json", "--public-key", str(pem)],
                          capture_output=True, text=True)


def _row_lines(path):
    """Return (the file's lines, its line ending, the indexes of its record lines)."""
    ending = "\r\n" if path.suffix == ".csv" else "\n"
    lines = path.read_bytes().decode().split(ending)
    if path.suffix == ".csv":
        return lines, ending, [1, 2, 3]  # after the header, a line per record (none spans lines)
    return lines, ending, [index for index, line in enumerate(lines) if line.startswith("{")]


def _edit_a_row(path, _manifest_path):
    """The second record's accept_all becomes reject_all, in place."""
    lines, ending, rows = _row_lines(path)
    assert "accept_all" in lines[rows[1]]
    lines[rows[1]] = lines[rows[1]].replace("accept_all", "reject_all")
    path.write_bytes(ending.join(lines).encode())


def _drop_a_line(path, _manifest_path):
    """The second record's line goes (in a JSON array its comma with it: still an array)."""
    lines, ending, rows = _row_lines(path)
    del lines[rows[1]]
    path.write_bytes(ending.join(lines).encode())


def _edit_and_forge_the_manifest(path, manifest_path):
    """Edit a row and make the manifest's SHA-256 match the edited file: only the key could."""
    _edit_a_row(path, manifest_path)
    manifest = json.loads(manifest_path.read_text())
    manifest["file_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps(manifest))


@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson"])
@pytest.mark.parametrize(("tamper", "message"), [
    (_edit_a_row, "FAILED: row 2 (testshop seq 2): record_hash does not match"),
    (_drop_a_line, "FAILED: row 2 (testshop seq 3): expected seq 2"),
    (_edit_and_forge_the_manifest,
     "FAILED: signature: the manifest's signature does not verify (forged or altered)"),
])
def test_an_insider_edit_of_any_export_format_is_caught_offline(runner, three_records, tmp_path,
                                                                fmt, tamper, message):
    exported, untouched = _export_and_check(runner, tmp_path, fmt=fmt)
    assert exported.exit_code == 0 and untouched.returncode == 0, untouched.stderr
    assert json.loads((tmp_path / f"proof.{fmt}.manifest.json").read_text())["format"] == fmt
    _exported, checked = _export_and_check(runner, tmp_path, fmt=fmt, tamper=tamper)
    assert checked.returncode == 1
    assert checked.stderr.startswith(message), checked.stderr


def _cut_oldest():
    db.session.execute(delete(ConsentRecord).where(ConsentRecord.seq <= 2))


def _cut_newest_back_to_a_checkpoint():
    db.session.execute(delete(ConsentRecord).where(ConsentRecord.seq >= 2))


def _move_a_row_out_of_the_filter():
    db.session.execute(text("UPDATE consent_records SET subject_id = 'someone-else-0000' "
                            "WHERE seq = 2"))


@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson"])
@pytest.mark.parametrize(("tamper", "filters", "message"), [
    (_cut_oldest, ["--site", SITE], "record seq 3 ("),
    (_cut_newest_back_to_a_checkpoint, ["--site", SITE], "the chain ends at seq 1"),
    (_move_a_row_out_of_the_filter, ["--subject-id", "sbj-00000001"],
     "column subject_id differs"),
])
def test_an_export_of_a_broken_chain_says_so_and_fails_offline(app, runner, three_records,
                                                               tmp_path, tamper, filters, message,
                                                               fmt):
    app.config["CHECKPOINT_INTERVAL"] = 0
    LedgerTicker(app).tick()  # the head, seq 3, is signed
    tamper()
    db.session.commit()
    exported, checked = _export_and_check(runner, tmp_path, *filters, fmt=fmt)
    assert exported.exit_code == 1
    assert f"warning: {SITE}: the stored chain does not verify" in exported.output
    assert checked.returncode == 1
    assert f"FAILED: sites.{SITE}.chain: the service found the stored chain broken" in checked.stderr
    assert message in checked.stderr


def test_an_export_after_checkpoints_were_removed_from_the_middle_of_the_log_fails(
        app, runner, three_records, tmp_path, write_site_file, site_document):
    from app.ledger.repository import LedgerRepository

    app.config["CHECKPOINT_INTERVAL"] = 0
    LedgerTicker(app).tick()  # testshop's head, seq 3, is signed; another site's comes after
    runner.invoke(args=["sites", "import", str(write_site_file(site_document()))])
    ledger = LedgerRepository(db.session)
    ledger.append("example", "evt-1", {"event_id": "evt-1", "consent_id": "cns-1",
                                       "subject_id": "sbj-1", "event": "grant",
                                       "server_time": utc_now().isoformat()})
    ledger.add_checkpoint("example", signing_key(app))
    db.session.commit()
    db.session.execute(delete(Checkpoint).where(Checkpoint.site_id == SITE, Checkpoint.seq == 3))
    _rewrite_from(2)
    exported, checked = _export_and_check(runner, tmp_path, "--site", SITE)
    assert exported.exit_code == 1 and "warning: the checkpoint log is broken" in exported.output
    assert checked.returncode == 1
    assert "FAILED: checkpoint_log: the service found the checkpoint log broken" in checked.stderr


# ---- rows behind the ledger's back ----------------------------------------------------------

def test_a_record_past_the_head_is_caught_and_the_intake_answers_503(client, make_report, runner,
                                                                      three_records):
    third = _record(3)
    content = {**third.content, "seq": 4, "record_id": "forged-0000-0000", "event": "withdraw"}
    db.session.add(ConsentRecord(site_id=SITE, seq=4, record_id="forged-0000-0000",
                                 event_id="evt-forged", consent_id=content["consent_id"],
                                 subject_id=content["subject_id"], event="withdraw",
                                 server_time=third.server_time, content=content,
                                 prev_hash=third.record_hash,
                                 record_hash=chain_hash(third.record_hash, content)))
    result = _verify(runner)
    assert result.exit_code == 1
    assert "a record at seq 4 lies past the chain's head (seq 3)" in result.output
    response = post(client, make_report())
    assert response.status_code == 503 and response.json["error"]["code"] == "ledger_inconsistent"


def test_a_removed_head_is_caught_and_every_site_still_exports(runner, three_records, tmp_path):
    db.session.execute(delete(LedgerHead).where(LedgerHead.site_id == SITE))
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"{SITE}: BROKEN after 0 good records: a record at seq 3 lies past the chain's head" \
        in result.output
    exported, checked = _export_and_check(runner, tmp_path)
    assert exported.exit_code == 1 and "Traceback" not in exported.output
    assert checked.returncode == 1


# ---- purge keeps what each record was promised ------------------------------------------------

def test_purge_keeps_records_for_the_retention_they_were_recorded_with(runner, three_records):
    from app.models import Site

    assert _record(1).content["retention_days"] == 1095
    db.session.execute(update(Site).where(Site.id == SITE).values(retention_days=0))
    db.session.commit()
    result = runner.invoke(args=["ledger", "purge", "--site", SITE])
    assert result.exit_code == 1
    assert "not purged, its retention_days (0) is not between 1 and 36500" in result.output
    db.session.execute(update(Site).where(Site.id == SITE).values(retention_days=1))
    db.session.commit()
    result = runner.invoke(args=["ledger", "purge", "--site", SITE])
    assert result.exit_code == 0 and "nothing past its retention" in result.output
    assert _count() == 3


@pytest.mark.parametrize(("as_of", "code", "message"), [
    ("9999-12-31", 2, "--as-of"), ("0001-01-01", 0, "nothing past its retention on 0001-01-01"),
])
def test_purge_refuses_the_future_and_takes_the_distant_past(runner, three_records, as_of, code,
                                                             message):
    result = runner.invoke(args=["ledger", "purge", "--as-of", as_of])
    assert result.exit_code == code, result.output
    assert message in result.output and "Traceback" not in result.output
    assert _count() == 3


# ---- unsigned columns do not hide anything --------------------------------------------------

def test_a_forged_token_time_hides_no_late_coverage(app, runner, three_records, monkeypatch):
    later = utc_now() + timedelta(hours=1)
    monkeypatch.setattr("app.cli.ledger.utc_now", lambda: later)
    result = _verify(runner)
    assert "record seq 2 of " in result.output and "is not covered" in result.output
    monkeypatch.setattr("app.ledger.repository.utc_now", lambda: later)
    runner.invoke(args=["ledger", "checkpoint"])
    newest = db.session.scalar(select(Checkpoint).order_by(Checkpoint.id.desc()))
    newest.tsa_time = _record(2).content["server_time"]  # as if stamped right after seq 2
    assert "was first covered by the checkpoint of" in _verify(runner).output
    newest.tsa_time = "garbage"
    result = _verify(runner)
    assert result.exit_code == 0 and "Traceback" not in result.output


def test_another_subjects_consent_id_is_refused(client, make_report):
    receipt = post(client, make_report(consent_id="cns-victim-01")).json["receipt"]
    consent_id = client.get(f"/api/v1/receipts/{receipt}").json["record"]["consent_id"]
    forged = make_report(subject_id="sbj-attacker", consent_id=consent_id, event="withdraw",
                         ui_action="withdraw")
    response = post(client, forged)
    assert response.status_code == 409
    assert (response.json["error"]["code"], response.json["error"]["field"]) == (
        "consent_id_reused", "consent_id")
    assert _count() == 1


@pytest.mark.parametrize("args", [["--until", "9999-12-31T23:59:59-23:59"],
                                  ["--since", "0001-01-01T00:00:00+23:59"]])
def test_export_dates_outside_the_calendar_are_a_clear_error(runner, three_records, tmp_path,
                                                             args):
    result = runner.invoke(args=["ledger", "export", "--output", str(tmp_path / "x.csv"), *args])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {args[0]}:") and "Traceback" not in result.output


def test_console_search_edges_are_answered_not_crashed(client, three_records, make_user):
    from tests.conftest import login

    login(client, make_user("auditor"))
    assert client.get("/console/records?until=9999-12-31&up_to=3").status_code == 200
    huge = "/console/records?up_to=99999999999999999999999"
    assert client.get(huge).status_code == 400
    assert client.get("/console/export?format=csv&up_to=99999999999999999999999",
                      headers={"Accept": "application/json"}).status_code == 400
