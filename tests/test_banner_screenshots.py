"""Screenshots of every banner build: captured in Chromium, stored once, shown, exported, checked."""
import hashlib
import importlib.util
import json
import logging
import struct
import zipfile
import zlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from app import screenshots as background
from app.banner.bundle import gate_code
from app.evidence import snapshot
from app.evidence.capture import CaptureFailed, Photo
from app.evidence.store import png_size
from app.extensions import db
from app.models import BannerScreenshot, ConsentRecord
from tests.conftest import PROJECT_ROOT, SAMPLE_SITES, login, post_report

VERIFY = PROJECT_ROOT / "tools" / "verify_export.py"


def _verifier():
    spec = importlib.util.spec_from_file_location("verify_export", VERIFY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


verifier = _verifier()


def _rows():
    return db.session.scalars(select(BannerScreenshot).order_by(BannerScreenshot.id)).all()


def _import(runner, path):
    result = runner.invoke(args=["sites", "import", str(path)])
    assert result.exit_code == 0, result.output
    return result


# ---- real Chromium ------------------------------------------------------------------------------

@pytest.mark.browser
def test_snapshot_stores_both_layers_on_desktop_and_phone_in_every_language(runner):
    _import(runner, SAMPLE_SITES / "flomni.yaml")
    result = runner.invoke(args=["banner", "snapshot", "flomni"])
    assert result.exit_code == 0, result.output
    assert f"flomni: build {gate_code()[2]}: 8 screenshot(s) stored, 0 already stored" in result.output
    rows = _rows()
    assert {(r.language, r.layer, r.viewport) for r in rows} == {
        (language, layer, viewport) for language in ("ru", "en")
        for layer in ("first", "settings") for viewport in ("desktop", "phone")}
    for row in rows:
        assert row.digest == hashlib.sha256(row.png).hexdigest()
        assert png_size(row.png) == (row.width, row.height)
        assert (row.width, row.height) == {"desktop": (1280, 800), "phone": (390, 844)}[row.viewport]
        assert row.build == gate_code()[2] and row.captured_at is not None
    by_key = {(r.language, r.layer, r.viewport): r.digest for r in rows}
    for language in ("ru", "en"):
        for viewport in ("desktop", "phone"):
            assert by_key[(language, "first", viewport)] != by_key[(language, "settings", viewport)]
        assert by_key[(language, "first", "desktop")] != by_key[("en" if language == "ru" else "ru",
                                                                 "first", "desktop")]
    again = runner.invoke(args=["banner", "snapshot", "flomni"])
    assert again.exit_code == 0, again.output
    assert "0 screenshot(s) stored, 8 already stored" in again.output
    assert len(_rows()) == 8


# ---- synthetic captures: what is stored, shown and exported --------------------------------------

def _png(width, height, label):
    """Return a valid PNG of one colour, told apart from others by a text chunk."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"tEXt", b"Comment\x00" + label.encode()) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


@pytest.fixture
def fake_capture(monkeypatch):
    """Replace Chromium with synthetic photos; returns the list of the calls' site ids."""
    calls = []

    def capture(_chromium, scripts, languages, viewports=("desktop", "phone")):
        calls.append(scripts.site_id)
        sizes = {"desktop": (1280, 800), "phone": (390, 844)}
        return [Photo(language, layer, viewport, *sizes[viewport],
                      _png(*sizes[viewport], f"{scripts.site_id} {language} {layer} {viewport}"),
                      datetime.now(UTC))
                for language in languages for viewport in viewports
                for layer in ("first", "settings")]

    monkeypatch.setattr(snapshot, "capture", capture)
    return calls


@pytest.fixture
def shots(app, runner, make_report, fake_capture):
    """The test shop imported (make_report does it) and its banner photographed."""
    app.config["CHROMIUM"] = "/bin/sh"  # any executable: the capture is synthetic
    result = runner.invoke(args=["banner", "snapshot", "testshop"])
    assert result.exit_code == 0, result.output
    return _rows()


def test_snapshot_stores_each_shot_once(app, runner, shots, fake_capture):
    assert len(shots) == 16  # 4 languages x 2 layers x 2 viewports
    result = runner.invoke(args=["banner", "snapshot", "testshop"])
    assert "0 screenshot(s) stored, 16 already stored" in result.output
    assert fake_capture == ["testshop"]  # nothing to capture the second time
    forced = runner.invoke(args=["banner", "snapshot", "testshop", "--force"])
    assert forced.exit_code == 0 and "0 screenshot(s) stored, 16 already stored" in forced.output
    assert [row.png for row in _rows()] == [row.png for row in shots]


def test_snapshot_names_an_unknown_site(runner, shots):
    result = runner.invoke(args=["banner", "snapshot", "nosuchsite"])
    assert result.exit_code == 1 and "no site with id 'nosuchsite'" in result.output


def test_missing_chromium_warns_but_saves_and_records(app, runner, make_report, client, caplog):
    app.config.update(CHROMIUM="/nonexistent", SCREENSHOTS="auto")
    result = runner.invoke(args=["banner", "snapshot"])
    assert result.exit_code == 1
    assert "CONSENT_CHROMIUM='/nonexistent' is not an executable file" in result.output
    assert "Traceback" not in result.output
    with caplog.at_level(logging.WARNING, logger="app.screenshots"):
        _import(runner, SAMPLE_SITES / "flomni.yaml")
    assert "CONSENT_CHROMIUM='/nonexistent'" in caplog.text
    assert post_report(client, make_report()).status_code == 201
    assert _rows() == []


def test_a_site_change_photographs_its_banner_in_the_background(app, runner, fake_capture):
    app.config.update(CHROMIUM="/bin/sh", SCREENSHOTS="auto")
    _import(runner, SAMPLE_SITES / "flomni.yaml")
    background.wait_for_captures()
    db.session.rollback()
    assert fake_capture == ["flomni"]
    assert {(r.site_id, r.build) for r in _rows()} == {("flomni", gate_code()[2])}
    assert len(_rows()) == 8


def test_a_failed_capture_is_a_warning_and_the_save_stands(app, runner, monkeypatch, caplog):
    def broken(*_args, **_kwargs):
        raise CaptureFailed("flomni: Chromium failed: crashed")

    monkeypatch.setattr(snapshot, "capture", broken)
    app.config.update(CHROMIUM="/bin/sh", SCREENSHOTS="auto")
    with caplog.at_level(logging.WARNING, logger="app.screenshots"):
        _import(runner, SAMPLE_SITES / "flomni.yaml")
        background.wait_for_captures()
    assert "Chromium failed: crashed" in caplog.text
    assert runner.invoke(args=["sites", "list"]).output.count("flomni") == 1


def test_screenshots_are_off_under_tests_unless_turned_on(app, runner, fake_capture):
    assert app.config["SCREENSHOTS"] == "off"
    _import(runner, SAMPLE_SITES / "flomni.yaml")
    background.wait_for_captures()
    assert fake_capture == []


# ---- console -------------------------------------------------------------------------------------

@pytest.fixture
def record(shots, make_report, client):
    """A consent given with the test shop's current banner in English; returns its record."""
    assert post_report(client, make_report()).status_code == 201
    return db.session.scalars(select(ConsentRecord)).one()


@pytest.mark.parametrize("role, sites, status", [("owner", ("testshop",), 200), ("auditor", (), 200),
                                                 ("admin", (), 200), ("owner", ("flomni",), 403)])
def test_versions_page_and_pngs_follow_the_proof_readers(app, runner, shots, make_user, role, sites,
                                                         status):
    if "flomni" in sites:
        _import(runner, SAMPLE_SITES / "flomni.yaml")
    client = app.test_client()
    login(client, make_user(role, *sites))
    page = client.get("/console/sites/testshop/versions")
    png = client.get(f"/console/screenshots/{shots[0].digest}.png")
    assert page.status_code == status
    assert png.status_code == (status if status == 200 else 404)
    if status == 200:
        html = page.data.decode()
        assert f"Build {gate_code()[2]}" in html
        assert all(f"/console/screenshots/{shot.digest}.png" in html for shot in shots)
        assert png.mimetype == "image/png" and png.data == shots[0].png
        assert png.headers["X-Content-Type-Options"] == "nosniff"


def test_anonymous_visitors_see_no_screenshot(app, shots):
    client = app.test_client()
    assert client.get("/console/sites/testshop/versions").status_code == 302
    assert client.get(f"/console/screenshots/{shots[0].digest}.png").status_code == 302


def test_a_record_links_the_screenshots_of_its_build_and_language(app, record, shots, make_user):
    client = app.test_client()
    login(client, make_user("auditor"))
    html = client.get(f"/console/records/{record.record_id}").data.decode()
    english = [shot.digest for shot in shots if shot.language == "en"]
    assert len(english) == 4
    assert all(f"/console/screenshots/{digest}.png" in html for digest in english)
    assert not any(f"/console/screenshots/{shot.digest}.png" in html
                   for shot in shots if shot.language != "en")


def test_a_record_of_an_unphotographed_build_says_so(app, make_report, client, make_user):
    assert post_report(client, make_report()).status_code == 201
    found = db.session.scalars(select(ConsentRecord)).one()
    auditor = app.test_client()
    login(auditor, make_user("auditor"))
    html = auditor.get(f"/console/records/{found.record_id}").data.decode()
    assert "No screenshots were taken of this build in this language." in html


# ---- insiders ------------------------------------------------------------------------------------

def _swap_png(row):
    """Rewrite a stored PNG in place, as an insider with database access would."""
    other = _png(row.width, row.height, "forged")
    db.session.execute(update(BannerScreenshot).where(BannerScreenshot.id == row.id)
                       .values(png=other))
    db.session.commit()


def test_a_png_edited_in_the_database_is_refused_and_reported(app, runner, shots, make_user):
    _swap_png(shots[3])
    client = app.test_client()
    login(client, make_user("auditor"))
    refused = client.get(f"/console/screenshots/{shots[3].digest}.png")
    assert refused.status_code == 409 and b"altered" in refused.data
    assert client.get(f"/console/screenshots/{shots[2].digest}.png").status_code == 200
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 1
    assert f"screenshots: ALTERED: banner_screenshots id {shots[3].id} (testshop" in result.output
    integrity = client.get("/console/integrity").data.decode()
    assert "Banner screenshots ALTERED" in integrity and shots[3].digest in integrity


def test_ledger_verify_counts_intact_screenshots(runner, shots):
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
    assert "screenshots: 16 stored, every PNG matches its SHA-256" in result.output


# ---- exports -------------------------------------------------------------------------------------

@pytest.fixture
def exported(runner, record, tmp_path):
    """A CLI export with screenshots; returns (file, manifest, zip, pinned key)."""
    output = tmp_path / "consents.csv"
    result = runner.invoke(args=["ledger", "export", "--output", str(output), "--screenshots"])
    assert result.exit_code == 0, result.output
    pem = tmp_path / "ledger.pem"
    pem.write_text(runner.invoke(args=["ledger", "public-key"]).output)
    return output, tmp_path / "consents.csv.manifest.json", tmp_path / "consents.csv.screenshots.zip", pem


def _verify(capsys, exported, *extra):
    output, manifest, archive, pem = exported
    code = verifier.main([str(output), str(manifest), "--public-key", str(pem), *map(str, extra)])
    out, err = capsys.readouterr()
    return code, (out + err).strip()


def test_an_export_with_screenshots_verifies(exported, shots, capsys):
    _output, manifest_path, archive, _pem = exported
    manifest = json.loads(manifest_path.read_text())
    english = sorted(shot.digest for shot in shots if shot.language == "en")
    assert sorted(entry["digest"] for entry in manifest["screenshots"]) == english
    assert {entry["language"] for entry in manifest["screenshots"]} == {"en"}
    with zipfile.ZipFile(archive) as opened:
        assert sorted(opened.namelist()) == [f"screenshots/{digest}.png" for digest in english]
    code, line = _verify(capsys, exported, "--screenshots", archive)
    assert code == 0, line
    assert "4 banner screenshots match their SHA-256" in line


def _rewrite_zip(archive, change):
    with zipfile.ZipFile(archive) as opened:
        members = {name: opened.read(name) for name in opened.namelist()}
    members = change(members)
    with zipfile.ZipFile(archive, "w") as rewritten:
        for name, data in members.items():
            rewritten.writestr(name, data)


def test_an_altered_swapped_or_missing_png_fails_the_export(exported, capsys):
    archive = exported[2]
    with zipfile.ZipFile(archive) as opened:
        first, second = sorted(opened.namelist())[:2]
    _rewrite_zip(archive, lambda m: {**m, first: m[first][:-12] + b"forged" + m[first][-6:]})
    code, line = _verify(capsys, exported, "--screenshots", archive)
    assert code == 1 and "does not hash to its digest" in line
    _rewrite_zip(archive, lambda m: {**m, first: m[second]})
    code, line = _verify(capsys, exported, "--screenshots", archive)
    assert code == 1 and "does not hash to its digest" in line
    _rewrite_zip(archive, lambda m: {name: data for name, data in m.items() if name != first})
    code, line = _verify(capsys, exported, "--screenshots", archive)
    assert code == 1 and f"{first} is missing" in line
    code, line = _verify(capsys, exported)
    assert code == 1 and "give --screenshots ZIP" in line


def test_a_manifest_cannot_drop_its_screenshots(exported, capsys):
    manifest_path = exported[1]
    manifest = json.loads(manifest_path.read_text())
    manifest["screenshots"] = manifest["screenshots"][:1]
    manifest_path.write_text(json.dumps(manifest))
    code, line = _verify(capsys, exported, "--screenshots", exported[2])
    assert code == 1 and "signature" in line


def test_a_png_altered_before_the_export_is_named_by_its_manifest(runner, record, shots, tmp_path,
                                                                  capsys):
    english = next(shot for shot in shots if shot.language == "en")
    _swap_png(english)
    output = tmp_path / "consents.csv"
    result = runner.invoke(args=["ledger", "export", "--output", str(output), "--screenshots"])
    assert f"the stored screenshot {english.digest}" in result.output
    pem = tmp_path / "ledger.pem"
    pem.write_text(runner.invoke(args=["ledger", "public-key"]).output)
    code, line = _verify(capsys, (output, tmp_path / "consents.csv.manifest.json",
                                  tmp_path / "consents.csv.screenshots.zip", pem),
                         "--screenshots", tmp_path / "consents.csv.screenshots.zip")
    assert code == 1 and f"the service found the stored PNG {english.digest} altered" in line


def test_the_console_exports_screenshots_that_verify(app, record, make_user, tmp_path, capsys, runner):
    client = app.test_client()
    login(client, make_user("auditor"))
    up_to = record.id
    base = "/console/sites/testshop/export"
    (tmp_path / "c.csv").write_bytes(client.get(f"{base}.csv?up_to={up_to}").data)
    manifest = client.get(f"{base}.csv.manifest.json?screenshots=1&up_to={up_to}")
    (tmp_path / "c.csv.manifest.json").write_bytes(manifest.data)
    archive = client.get(f"{base}.screenshots.zip?up_to={up_to}")
    assert archive.mimetype == "application/zip"
    (tmp_path / "c.zip").write_bytes(archive.data)
    pem = tmp_path / "ledger.pem"
    pem.write_text(runner.invoke(args=["ledger", "public-key"]).output)
    code, line = _verify(capsys, (tmp_path / "c.csv", tmp_path / "c.csv.manifest.json", None, pem),
                         "--screenshots", tmp_path / "c.zip")
    assert code == 0, line
    assert "4 banner screenshots" in line
    _import(runner, SAMPLE_SITES / "flomni.yaml")
    owner = app.test_client()
    login(owner, make_user("owner", "flomni"))
    assert owner.get(f"{base}.screenshots.zip?up_to={up_to}").status_code == 403
    assert owner.get(f"/console/export/screenshots?site=testshop&up_to={up_to}").status_code == 403


@pytest.fixture
def edited_shots(app, shots, make_user, fake_capture):
    """The test shop photographed, then its Hebrew title changed in the console; every row."""
    app.config["SCREENSHOTS"] = "auto"
    owner = app.test_client()
    login(owner, make_user("owner", "testshop"))
    response = owner.post("/console/sites/testshop/texts?language=he",
                          data={"title": "פרטיות חשובה לנו"})
    assert response.status_code == 302
    background.wait_for_captures()
    db.session.rollback()
    return _rows()


def test_a_console_save_photographs_only_what_changed(shots, edited_shots):
    added = [row for row in edited_shots if row.id not in {shot.id for shot in shots}]
    assert {(row.language, row.layer, row.viewport) for row in added} == {
        ("he", layer, viewport) for layer in ("first", "settings") for viewport in ("desktop", "phone")}
    assert len({row.texts_digest for row in edited_shots if row.language == "he"}) == 2


def test_the_versions_page_keeps_each_text_set_of_a_build(app, edited_shots, make_user):
    auditor = app.test_client()
    login(auditor, make_user("auditor"))
    html = auditor.get("/console/sites/testshop/versions").data.decode()
    assert all(f"/console/screenshots/{row.digest}.png" in html for row in edited_shots)
    assert html.count('<span lang="he">he</span>') == 2
