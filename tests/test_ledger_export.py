"""Exports: streamed files and manifests that tools/verify_export.py checks offline."""
import csv
import hashlib
import importlib.util
import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import current_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from app.extensions import db
from app.ledger.checkpoints import checkpoint_payload, generate_key, key_id, public_pem
from app.ledger.export import COLUMNS, FORMATS, Export, compute_manifest, write_export
from app.ledger.manifest import manifest_payload
from app.ledger.proof import canonical_bytes, chain_hash
from app.ledger.repository import LedgerRepository
from app.ledger.search import RecordQuery, latest_record_id, select_records
from app.models import Checkpoint, ConsentRecord, LedgerHead
from app.signing import signing_key
from tests.conftest import PROJECT_ROOT
from tests.conftest import post_report as post

VERIFY = PROJECT_ROOT / "tools" / "verify_export.py"
#: Text a CSV writer must quote and a reader must give back exactly.
AWKWARD = 'a,"b";ц€😀\u2028'  # no control characters: reports refuse them


def _verifier():
    spec = importlib.util.spec_from_file_location("verify_export", VERIFY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


verifier = _verifier()


@pytest.fixture
def ledger(client, make_report, runner):
    """Five test shop records, a signed checkpoint at seq 3; one deny, one other subject."""
    reports = [make_report(), make_report(client_time=AWKWARD),
               make_report(page="https://www.testshop.test/кор,зина/\"q\"?x=1")]
    reports[1]["event"], reports[1]["ui_action"] = "deny", "reject_all"
    reports[1]["choices"] = {"mandatory": True, "analytical": False, "marketing": False}
    for report in reports:
        assert post(client, report).status_code == 201
    assert runner.invoke(args=["ledger", "checkpoint"]).exit_code == 0
    for report in (make_report(subject_id="sbj-00000002", consent_id="cns-00000002"), make_report()):
        assert post(client, report).status_code == 201
    db.session.commit()
    return db.session


def _pem():
    return public_pem(signing_key(current_app))


def _key():
    return signing_key(current_app)


def _export(tmp_path, fmt="ndjson", query=None, name="export"):
    path = tmp_path / f"{name}.{fmt}"
    with path.open("wb") as out:
        manifest = write_export(db.session, query or RecordQuery(), fmt, out, _key())
    manifest_path = tmp_path / f"{name}.{fmt}.manifest.json"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    return path, manifest_path


def _run_verify(*args):
    return subprocess.run([sys.executable, str(VERIFY), *map(str, args)], capture_output=True,
                          text=True, cwd="/")


def _check(capsys, path, manifest_path, *extra):
    """Run the verifier in-process, pinning the service's key unless extra says otherwise;
    return (exit code, its one line of output)."""
    if not {"--public-key", "--no-pinned-key", "--no-pin"} & set(map(str, extra)):
        pinned = path.parent / "pinned-ledger.pem"
        pinned.write_text(_pem())
        extra = (*extra, "--public-key", pinned)
    extra = tuple(arg for arg in extra if arg != "--no-pin")
    code = verifier.main([str(path), str(manifest_path), *map(str, extra)])
    out, err = capsys.readouterr()
    return code, (out + err).strip()


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_round_trips_through_the_verifier(ledger, tmp_path, fmt):
    path, manifest_path = _export(tmp_path, fmt)
    key = tmp_path / "ledger.pem"
    key.write_text(_pem())
    result = _run_verify(path, manifest_path, "--public-key", key)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "OK: 5 records from 1 site(s), hashes and links intact, manifest signature valid (key "
        "pinned), 3 checkpoint signatures valid, 5 of 5 records covered by a signed checkpoint")
    assert len(result.stdout.strip().splitlines()) == 1
    manifest = json.loads(manifest_path.read_text())
    records = list(db.session.scalars(select_records(RecordQuery())))
    assert manifest["file_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert manifest["record_count"] == 5
    assert (manifest["first_record_hash"], manifest["last_record_hash"]) == (
        records[0].record_hash, records[-1].record_hash)
    site = manifest["sites"]["testshop"]
    assert (site["record_count"], site["first_seq"], site["last_seq"]) == (5, 1, 5)
    # The first record was signed at once, seq 3 by hand, and the export signed the head.
    assert [c["seq"] for c in site["checkpoints"]] == [1, 3, 5]
    assert site["coverage"] == {"covered": 5, "uncovered": 0, "newest_uncovered_seq": None}
    assert site["chain"] == {"verified": True, "records": 5, "problem": "", "warning": ""}
    assert manifest["public_key"] == _pem() and manifest["format"] == fmt
    assert manifest["key_id"] == key_id(_key().public_key()) and manifest["signature"]


def _rows(path):
    """Read an export's rows as dicts, in the format its name ends with."""
    fmt = path.suffix[1:]
    with path.open(encoding="utf-8", newline="") as file:
        if fmt == "csv":
            return list(csv.DictReader(file))
        text = file.read()
    # Split on "\n" only: contents may hold U+2028, which str.splitlines() splits on too.
    lines = [line for line in text.split("\n") if line]
    if fmt == "json":
        lines = [line.removesuffix(",") for line in lines if line not in ("[", "]")]
    return [json.loads(line) for line in lines]


def _write_rows(path, rows):
    """Write rows back as the service writes that format, as an insider editing the file would."""
    fmt = path.suffix[1:]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
        path.write_bytes(out.getvalue().encode())
        return
    lines = [json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode(row) for row in rows]
    text = ("[" + ",".join(f"\n{line}" for line in lines) + "\n]\n" if fmt == "json"
            else "".join(f"{line}\n" for line in lines))
    path.write_bytes(text.encode())


def _changed_byte(path, _manifest):
    rows = _rows(path)
    rows[2]["content"] = rows[2]["content"].replace('"marketing":false', '"marketing":true')
    _write_rows(path, rows)


def _deleted_row(path, _manifest):
    rows = _rows(path)
    del rows[2]
    _write_rows(path, rows)


def _swapped_rows(path, _manifest):
    rows = _rows(path)
    rows[1], rows[2] = rows[2], rows[1]
    _write_rows(path, rows)


def _forged_from_seq_2(path, manifest):
    """Rewrite every row from seq 2 with recomputed hashes, and the manifest to match the file."""
    rows = _rows(path)
    previous = rows[0]["record_hash"]
    for row in rows[1:]:
        content = json.loads(row["content"])
        content["choices"]["marketing"] = True
        row["content"] = canonical_bytes(content).decode()
        row["prev_hash"] = previous
        row["record_hash"] = previous = hashlib.sha256(
            f"{row['prev_hash']}\n{row['content']}".encode()).hexdigest()
    _write_rows(path, rows)
    manifest.update(file_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                    last_record_hash=previous)


def _forged_signature(_path, manifest):
    checkpoint = manifest["sites"]["testshop"]["checkpoints"][0]
    checkpoint["head_hash"] = "f" * 64


def _count(_path, manifest):
    manifest["record_count"] = 6


def _other_file(path, _manifest):
    path.write_bytes(path.read_bytes() + b"\n")


#: What the verifier says of a line added to the end of each format's file.
ADDED_LINE = {"csv": "row 6: has 0 fields, not 11", "ndjson": "line 6: not a JSON record",
              "json": "file_sha256: the file's SHA-256 differs from the manifest's"}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("tamper", "message"), [
    (_changed_byte, "row 3 (testshop seq 3): record_hash does not match"),
    (_deleted_row, "row 3 (testshop seq 4): expected seq 3"),
    (_swapped_rows, "row 2 (testshop seq 3): expected seq 2"),
    (_other_file, None),
])
def test_a_changed_file_fails_and_names_the_problem(ledger, tmp_path, capsys, tamper, message,
                                                    fmt):
    path, manifest_path = _export(tmp_path, fmt)
    untouched = _rows(path)
    _write_rows(path, untouched)
    assert _check(capsys, path, manifest_path)[0] == 0  # rewritten unchanged, it still verifies
    tamper(path, json.loads(manifest_path.read_text()))
    message = message or ADDED_LINE[fmt]
    code, output = _check(capsys, path, manifest_path)
    assert code == 1
    assert output.startswith("FAILED: ")
    assert message in output


def _emptied_checkpoints(path, manifest):
    manifest["sites"]["testshop"]["checkpoints"] = []


def _dropped_rows_marked_filtered(path, manifest):
    rows = _rows(path)
    del rows[2]
    _write_rows(path, rows)
    site = manifest["sites"]["testshop"]
    site.update(contiguous=False, record_count=4)
    manifest.update(record_count=4, file_sha256=hashlib.sha256(path.read_bytes()).hexdigest())


def _withdrawal_turned_grant(path, manifest):
    """The insider's forgery: seq 2 (a refusal) becomes a grant, every later hash recomputed,
    the checkpoints that no longer match dropped, the manifest's sums redone."""
    _forged_from_seq_2(path, manifest)
    site = manifest["sites"]["testshop"]
    site["checkpoints"] = [c for c in site["checkpoints"] if c["seq"] < 2]
    site["coverage"]["covered"] = 1


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("tamper", [_forged_from_seq_2, _forged_signature, _count,
                                    _emptied_checkpoints, _dropped_rows_marked_filtered,
                                    _withdrawal_turned_grant])
def test_a_changed_manifest_fails_its_signature(ledger, tmp_path, capsys, tamper, fmt):
    path, manifest_path = _export(tmp_path, fmt)
    manifest = json.loads(manifest_path.read_text())
    tamper(path, manifest)
    manifest_path.write_text(json.dumps(manifest))
    assert _check(capsys, path, manifest_path) == (
        1, "FAILED: signature: the manifest's signature does not verify (forged or altered)")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("tamper", [_emptied_checkpoints, _withdrawal_turned_grant])
def test_a_manifest_re_signed_with_another_key_fails_against_the_pinned_key(
        ledger, tmp_path, capsys, tamper, fmt):
    from app.ledger.manifest import sign_manifest

    path, manifest_path = _export(tmp_path, fmt)
    manifest = json.loads(manifest_path.read_text())
    tamper(path, manifest)
    forger = generate_key(tmp_path / "forger.pem")
    # Keeping the service's public key in the manifest: the signature is not the service's.
    kept = sign_manifest({k: v for k, v in manifest.items() if k not in ("signature", "key_id")},
                         forger)
    kept["public_key"], kept["key_id"] = _pem(), key_id(_key().public_key())
    manifest_path.write_text(json.dumps(kept))
    assert _check(capsys, path, manifest_path) == (
        1, "FAILED: signature: the manifest's signature does not verify (forged or altered)")
    # Naming the forger's own key instead: it is not the pinned one.
    swapped = sign_manifest({**{k: v for k, v in manifest.items()
                                if k not in ("signature", "key_id")},
                             "public_key": public_pem(forger)}, forger)
    manifest_path.write_text(json.dumps(swapped))
    assert _check(capsys, path, manifest_path) == (
        1, "FAILED: public_key: the manifest's key is not the pinned key (signed by someone else)")
    # Unpinned, it is refused outright; --no-pinned-key checks it and says the key was not pinned.
    code, output = _check(capsys, path, manifest_path, "--no-pin")
    assert code == 2 and output.startswith("REFUSED: give --public-key PEM")
    # A forgery consistent under the forger's own key passes only unpinned, and says so.
    consistent = {k: v for k, v in swapped.items() if k not in ("signature", "key_id")}
    site = consistent["sites"]["testshop"]
    site["checkpoints"] = []
    site["coverage"].update(covered=0, uncovered=5, newest_uncovered_seq=5)
    manifest_path.write_text(json.dumps(sign_manifest(consistent, forger)))
    code, output = _check(capsys, path, manifest_path, "--no-pinned-key")
    assert code == 0 and "manifest signature valid (key NOT pinned)" in output
    assert "0 of 5 records covered by a signed checkpoint; newest not covered: testshop seq 5" \
        in output
    assert _check(capsys, path, manifest_path)[1].startswith("FAILED: public_key:")


def test_an_unsigned_manifest_is_refused(ledger, tmp_path, capsys):
    path, manifest_path = _export(tmp_path)
    manifest = json.loads(manifest_path.read_text())
    del manifest["signature"]
    manifest_path.write_text(json.dumps(manifest))
    assert _check(capsys, path, manifest_path) == (1, "FAILED: signature: the manifest is not signed")


def test_a_changed_csv_byte_and_a_foreign_manifest_are_caught(ledger, tmp_path, capsys, client,
                                                             make_report):
    path, manifest_path = _export(tmp_path, "csv")
    original = path.read_bytes()
    path.write_bytes(original.replace(b'""gpc"":false', b'""gpc"":true', 1))
    assert _check(capsys, path, manifest_path) == (
        1, "FAILED: row 1 (testshop seq 1): record_hash does not match sha256(prev_hash + \"\\n\" "
           "+ content) (altered)")
    assert post(client, make_report()).status_code == 201
    db.session.commit()
    newer, _newer_manifest = _export(tmp_path, "csv", name="newer")
    code, output = _check(capsys, newer, manifest_path)
    assert code == 1 and output == (
        "FAILED: file_sha256: the file's SHA-256 differs from the manifest's")


def test_a_database_rewrite_after_a_checkpoint_fails_the_export(ledger, tmp_path, capsys):
    third = db.session.scalar(select(ConsentRecord).filter_by(site_id="testshop", seq=3))
    content = {**third.content, "event": "grant"}
    content["choices"] = {**content["choices"], "marketing": True}
    db.session.execute(update(ConsentRecord).where(ConsentRecord.id == third.id).values(
        content=content, record_hash=chain_hash(third.prev_hash, content)))
    db.session.commit()
    path, manifest_path = _export(tmp_path, "csv")
    code, output = _check(capsys, path, manifest_path)
    assert code == 1
    assert "row 3 (testshop seq 3): differs from the signed checkpoint" in output


def test_a_filtered_export_does_not_vouch_for_a_record_rewritten_in_the_database(
        ledger, tmp_path, capsys, runner):
    """A filtered export has gaps, so its file cannot link its rows; the service walks the chain
    from each row to its checkpoint before it signs, and says what it found."""
    # Seq 4, the other subject's only record, gets marketing, its hash redone.
    fourth = db.session.scalar(select(ConsentRecord).filter_by(site_id="testshop", seq=4))
    content = {**fourth.content, "choices": {**fourth.content["choices"], "marketing": True}}
    db.session.execute(update(ConsentRecord).where(ConsentRecord.id == fourth.id).values(
        content=content, record_hash=chain_hash(fourth.prev_hash, content)))
    db.session.commit()
    out = tmp_path / "consent.ndjson"
    result = runner.invoke(args=["ledger", "export", "--format", "ndjson", "--output", str(out),
                                 "--consent-id", "cns-00000002"])
    # The file holds seq 4 alone; seq 5, which the export's checkpoint covers, no longer links.
    assert result.exit_code == 1
    assert "warning: testshop: the stored chain does not verify" in result.output
    code, output = _check(capsys, out, f"{out}.manifest.json")
    assert code == 1
    assert output.startswith("FAILED: sites.testshop.chain: the service found the stored chain "
                             "broken: record seq 5 (")


def test_checkpoint_payload_agrees_with_the_service():
    cases = [("testshop", 1, "a" * 64, "2026-11-22T10:00:00+00:00", "checkpoint"),
             ("сайт-ü", 10**12, "0" * 64, "2026-11-22T10:00:00.123456+00:00", "anchor"),
             ("testshop", 2, "b" * 64, "2026-11-27T10:00:00+00:00", "checkpoint", "c" * 64)]
    for case in cases:
        site_id, seq, head_hash, created_at, kind, *prev = case
        stated = {"seq": seq, "head_hash": head_hash, "created_at": created_at, "kind": kind,
                  "prev_digest": prev[0] if prev else None}
        assert verifier.checkpoint_payload(site_id, stated) == checkpoint_payload(*case)
    assert verifier.canonical_bytes({"b": [1, "é\n"], "a": None}) == canonical_bytes(
        {"b": [1, "é\n"], "a": None})
    manifest = {"b": 1, "signature": "x", "a": [None]}
    assert verifier.manifest_payload(manifest) == manifest_payload(manifest)


def test_a_snapshot_keeps_file_and_later_manifest_equal(ledger, tmp_path, client, make_report,
                                                       runner):
    query = RecordQuery(up_to_id=latest_record_id(db.session))
    path, manifest_path = _export(tmp_path, "csv", query)
    for _ in range(2):
        assert post(client, make_report()).status_code == 201
    assert runner.invoke(args=["ledger", "checkpoint"]).exit_code == 0
    db.session.commit()
    later = compute_manifest(db.session, query, "csv", _key())
    first = json.loads(manifest_path.read_text())
    assert first.pop("generated_at") <= later.pop("generated_at")
    first.pop("signature"), later.pop("signature")  # each covers its own generated_at
    # Each also says what the service found of the whole chain when it signed: 5, then 7 records.
    assert [m["sites"]["testshop"].pop("chain")["records"] for m in (first, later)] == [5, 7]
    assert first.pop("checkpoint_log") != later.pop("checkpoint_log")  # a checkpoint came since
    assert first == later
    # A query without a pin is pinned when the export starts, and the manifest shows the pin.
    export = Export(db.session, RecordQuery(), "csv", _key())
    with pytest.raises(RuntimeError):
        export.manifest()
    assert b"".join(export.chunks())
    assert export.manifest()["query"]["up_to_id"] == latest_record_id(db.session)
    assert export.manifest()["record_count"] == 7


def _seqs(query):
    return [record.seq for record in db.session.scalars(select_records(query))]


def test_filters(ledger, tmp_path, capsys):
    records = list(db.session.scalars(select_records(RecordQuery())))
    middle = records[2].server_time
    assert _seqs(RecordQuery(site_ids=("testshop",))) == [1, 2, 3, 4, 5]
    assert _seqs(RecordQuery(site_ids=("other",))) == []
    assert _seqs(RecordQuery(event="deny")) == [2]
    assert _seqs(RecordQuery(consent_id="cns-00000002")) == [4]
    assert _seqs(RecordQuery(subject_id="sbj-00000001")) == [1, 2, 3, 5]
    assert _seqs(RecordQuery(record_id=records[3].record_id)) == [4]
    assert _seqs(RecordQuery(since=middle)) == [3, 4, 5]
    assert _seqs(RecordQuery(until=middle)) == [1, 2]
    # Times in another zone mean the same instant.
    moscow = middle.astimezone(UTC).astimezone(ZoneInfo("Europe/Moscow"))
    assert _seqs(RecordQuery(since=moscow)) == [3, 4, 5]
    assert _seqs(RecordQuery(up_to_id=records[1].id)) == [1, 2]
    # A filtered export has gaps, and still verifies.
    path, manifest_path = _export(tmp_path, "json", RecordQuery(subject_id="sbj-00000001"))
    code, output = _check(capsys, path, manifest_path)
    assert code == 0, output
    assert output.startswith("OK: 4 records")
    manifest = json.loads(manifest_path.read_text())
    assert manifest["query"]["subject_id"] == "sbj-00000001"
    assert manifest["sites"]["testshop"]["contiguous"] is False


def test_an_empty_export_verifies(app, tmp_path, capsys):
    for fmt in FORMATS:
        path, manifest_path = _export(tmp_path, fmt)
        assert _check(capsys, path, manifest_path)[0] == 0
        assert json.loads(manifest_path.read_text())["record_count"] == 0


def test_csv_escapes_content_exactly(ledger, tmp_path):
    path, _manifest_path = _export(tmp_path, "csv")
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    records = list(db.session.scalars(select_records(RecordQuery())))
    assert [row["content"] for row in rows] == [
        canonical_bytes(record.content).decode() for record in records]
    assert json.loads(rows[1]["content"])["client_time"] == AWKWARD
    assert json.loads(rows[2]["content"])["page_path"] == '/кор,зина/"q"'
    assert rows[0]["server_time"] == records[0].content["server_time"]


def test_the_csv_writer_matches_the_csv_module():
    from app.ledger.export import COLUMNS, WRITERS

    rows = [("s", 1, "r", "e", "c", "x", "grant", "t", "p", "h", b'{"a":"b"}'),
            ("s", 2, 'r,"1"', "e\r\nx", "", "ü€", "grant", "t", "p", "h", AWKWARD.encode())]
    writer = WRITERS["csv"]()
    produced = writer.head() + writer.rows(rows)
    expected = io.StringIO()
    csv.writer(expected, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL).writerows(
        [COLUMNS, *[(*row[:10], row[10].decode()) for row in rows]])
    # Contents are JSON objects, so they always hold quotes and are quoted either way.
    assert produced.decode() == expected.getvalue()
    reread = list(csv.reader(io.StringIO(produced.decode(), newline="")))
    assert reread[1:] == [[str(value) for value in (*row[:10], row[10].decode())] for row in rows]


def test_an_anchor_links_the_first_exported_record(client, make_report, tmp_path, capsys,
                                                   runner, monkeypatch):
    for number in range(5):
        # The first two reports arrived in 2000: their hashed server_time says so.
        moment = datetime(2000, 1, 1, tzinfo=UTC) if number < 2 else datetime.now(UTC)
        monkeypatch.setattr("app.api.views.utc_now", lambda moment=moment: moment)
        assert post(client, make_report()).status_code == 201
    assert runner.invoke(args=["ledger", "checkpoint"]).exit_code == 0
    db.session.commit()
    result = runner.invoke(args=["ledger", "purge"])
    assert "purged records up to seq 2" in result.output
    path, manifest_path = _export(tmp_path, "csv")
    code, output = _check(capsys, path, manifest_path)
    assert (code, output.split(",")[0]) == (0, "OK: 3 records from 1 site(s)")
    kinds = [c["kind"] for c in json.loads(manifest_path.read_text())["sites"]["testshop"]["checkpoints"]]
    assert kinds == ["checkpoint", "anchor", "checkpoint"]
    # The first row must continue from the anchor's hash.
    manifest = json.loads(manifest_path.read_text())
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    assert rows[1][8] == manifest["sites"]["testshop"]["checkpoints"][1]["head_hash"]


def test_the_cli_writes_a_verifiable_file_and_manifest(ledger, runner, tmp_path):
    output = tmp_path / "out" / "consents.csv"
    output.parent.mkdir()
    result = runner.invoke(args=["ledger", "export", "--format", "csv", "--output", str(output),
                                 "--site", "testshop", "--event", "grant"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (f"{output}: 4 records from 1 site(s); manifest "
                                     f"{output}.manifest.json (signed)")
    key = tmp_path / "ledger.pem"
    key.write_text(_pem())
    verified = _run_verify(output, f"{output}.manifest.json", "--public-key", key)
    assert verified.returncode == 0, verified.stderr
    assert sorted(p.name for p in output.parent.iterdir()) == ["consents.csv",
                                                              "consents.csv.manifest.json"]
    manifest = tmp_path / "m.json"
    result = runner.invoke(args=["ledger", "export", "--format", "ndjson", "--output",
                                 str(tmp_path / "all.ndjson"), "--manifest", str(manifest),
                                 "--since", "2000-01-01", "--until", "2999-01-01T00:00:00+03:00"])
    assert result.exit_code == 0, result.output
    assert json.loads(manifest.read_text())["record_count"] == 5


@pytest.mark.parametrize(("args", "message"), [
    (["--site", "nope"], "Error: --site: no site with id 'nope'"),
    (["--since", "2026-13-01"], "Error: --since: '2026-13-01' is not a date (YYYY-MM-DD) or an "
                                "ISO 8601 time"),
    (["--until", "yesterday"], "Error: --until: 'yesterday' is not a date"),
    (["--format", "xml"], "Error: --format: 'xml' is not one of csv, json, ndjson"),
    (["--event", "maybe"], "Error: --event: 'maybe' is not one of grant, deny"),
    (["--output", "/nonexistent-dir/x.csv"], "Error: --output: cannot write /nonexistent-dir/x.csv: "
                                             "No such file or directory"),
    (["--manifest", "/nonexistent-dir/m.json"], "Error: --manifest: cannot write "
                                                "/nonexistent-dir/m.json: No such file or directory"),
])
def test_cli_errors_are_one_line(ledger, runner, tmp_path, args, message):
    arguments = ["ledger", "export", "--output", str(tmp_path / "x.csv"), *args]
    result = runner.invoke(args=arguments)
    assert result.exit_code != 0
    assert len(result.output.strip().splitlines()) == 1
    assert result.output.startswith(message)
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.csv.part").exists()


CONTENT_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)


@pytest.mark.parametrize("backend", ["sqlite"])
@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.tuples(CONTENT_TEXT, st.sampled_from(["grant", "deny", "withdraw"]),
                                st.booleans()), max_size=8),
       fmt=st.sampled_from(FORMATS), checkpoint_after=st.integers(0, 8))
def test_any_ledger_exports_and_verifies(app, make_report, tmp_path, texts, fmt, checkpoint_after):
    db.session.execute(delete(ConsentRecord))
    db.session.execute(delete(Checkpoint))
    db.session.execute(delete(LedgerHead))
    ledger = LedgerRepository(db.session)
    key = signing_key(current_app)
    now = datetime.now(UTC)
    for index, (text, event, subject) in enumerate(texts):
        ledger.append("testshop", f"evt-{index}", {
            "event_id": f"evt-{index}", "consent_id": f"c-{text}", "event": event,
            "subject_id": "one" if subject else text, "site": "testshop", "note": text,
            "server_time": (now + timedelta(seconds=index)).isoformat()})
        if index + 1 == checkpoint_after:
            ledger.add_checkpoint("testshop", key)
    db.session.commit()
    path, manifest_path = _export(tmp_path, fmt)
    summary = verifier.verify(str(path), json.loads(manifest_path.read_text()), _pem())
    assert summary.startswith(f"OK: {len(texts)} records")
    subset = RecordQuery(subject_id="one")
    path, manifest_path = _export(tmp_path, fmt, subset, name="subset")
    manifest = json.loads(manifest_path.read_text())
    assert verifier.verify(str(path), manifest, _pem()).startswith(
        f"OK: {sum(subject for _text, _event, subject in texts)} records")


def test_batches_read_ahead_give_the_same_file(ledger, tmp_path, monkeypatch):
    whole, _ = _export(tmp_path, "csv", name="whole")
    monkeypatch.setattr("app.ledger.export.BATCH", 2)
    batched, _ = _export(tmp_path, "csv", name="batched")
    assert batched.read_bytes() == whole.read_bytes()


def test_an_export_abandoned_midway_leaves_the_session_usable(ledger, monkeypatch):
    monkeypatch.setattr("app.ledger.export.BATCH", 1)
    chunks = Export(db.session, RecordQuery(), "csv", _key()).chunks()
    next(chunks), next(chunks)  # the head and one row: the rest is still being fetched
    chunks.close()  # a client that went away
    assert db.session.scalar(select(ConsentRecord.seq).order_by(ConsentRecord.seq.desc())
                             .limit(1)) == 5


@pytest.mark.parametrize("first_record", [False, True], ids=["later-record", "first-record"])
def test_a_pin_waits_for_appends_in_flight_so_no_record_slips_in_later(app, backend, make_report,
                                                                        client, first_record):
    import threading

    from app.ledger.append import AppendRequest, append_records

    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time; ids never commit out of order")
    report = make_report()  # imports the site
    if not first_record:
        post(client, report)
    content = {"event_id": "evt-inflight", "consent_id": "cns-1", "subject_id": "sbj-1",
               "event": "grant", "ui_action": "accept_all", "choices": {"mandatory": True},
               "server_time": datetime.now(UTC).isoformat()}
    pins = []
    with db.engine.connect() as appending:
        appending.begin()
        appended, = append_records(appending, [AppendRequest("testshop", "evt-inflight", content)])
        in_flight = appending.scalar(select(ConsentRecord.id).where(
            ConsentRecord.record_id == appended.record.record_id))

        def pin():
            with app.app_context():
                pins.append(latest_record_id(db.session))
                db.session.remove()

        pinning = threading.Thread(target=pin)
        pinning.start()
        pinning.join(0.5)
        assert pinning.is_alive(), "the pin did not wait for the append in flight"
        appending.commit()
    pinning.join(10)
    assert pins and pins[0] >= in_flight


def test_a_contiguous_run_must_start_at_the_chain_or_right_after_a_purge():
    site = {"contiguous": True, "checkpoints": [{"seq": 1, "kind": "checkpoint"}]}
    with pytest.raises(verifier.Bad, match="starts at seq 12, not at seq 1"):
        verifier.check_start("flomni", site, 12)
    site["checkpoints"].append({"seq": 11, "kind": "anchor"})
    verifier.check_start("flomni", site, 12)  # records up to 11 were purged behind an anchor
    verifier.check_start("flomni", {**site, "contiguous": False}, 40)


def test_a_manifest_nested_too_deeply_is_a_clear_failure(ledger, tmp_path, capsys):
    path, manifest_path = _export(tmp_path)
    manifest_path.write_text("[" * 100_000 + "]" * 100_000)
    code, output = _check(capsys, path, manifest_path)
    assert code == 1 and output.startswith("FAILED: the manifest is malformed")
