"""Sites and catalog versions in the database, through the CLI, on SQLite and PostgreSQL."""
import pytest
import yaml

from app.extensions import db
from app.ledger.proof import GENESIS_HASH
from app.models import CatalogVersion, LedgerHead, Site
from app.publishing import SiteDeleted, publish_site
from app.sites.deletion import delete_site
from app.sites.repository import SiteRepository, site_spec
from tests.conftest import SAMPLE_SITES

SAMPLE_IDS = ["familami", "flomni", "loginom", "oomnis", "sens"]


def _import(runner, *paths, only_new=False):
    args = ["sites", "import", *(["--only-new"] if only_new else []), *map(str, paths)]
    return runner.invoke(args=args)


def test_import_samples_creates_five_sites(runner):
    result = _import(runner, SAMPLE_SITES)
    assert result.exit_code == 0, result.output
    assert [site.id for site in SiteRepository(db.session).list()] == SAMPLE_IDS
    assert "familami: created, catalog version 1" in result.output
    assert "warning: [undeclared]" in result.output


def test_reimport_unchanged_keeps_catalog_version(runner, write_site_file, site_document):
    path = write_site_file(site_document())
    _import(runner, path)
    result = _import(runner, path)
    assert "example: updated, catalog version 1 (unchanged)" in result.output
    assert db.session.query(CatalogVersion).count() == 1


def test_reimport_changed_catalog_adds_version_and_keeps_old(runner, write_site_file, site_document):
    document = site_document()
    path = write_site_file(document)
    _import(runner, path)
    document["catalog"]["analytical"][0]["lifetime"] = "2 years"
    write_site_file(document)
    result = _import(runner, path)
    assert "example: updated, catalog version 2 (new)" in result.output
    repository = SiteRepository(db.session)
    old, new = repository.catalog("example", 1), repository.catalog("example", 2)
    assert old.content["analytical"][0]["lifetime"] == "1 year"
    assert new.content["analytical"][0]["lifetime"] == "2 years"
    assert old.content_hash != new.content_hash
    assert repository.get("example").catalog_version == 2


def test_import_with_an_invalid_file_imports_nothing(runner, write_site_file, site_document):
    good = write_site_file(site_document(), name="good.yaml")
    bad_document = site_document(id="other")
    bad_document["catalog"]["analytical"][0]["lifetime"] = "forever"
    bad = write_site_file(bad_document, name="bad.yaml")
    result = _import(runner, good, bad)
    assert result.exit_code == 1
    assert f"error: {bad}: catalog.analytical[0].lifetime: lifetime 'forever'" in result.output
    assert "nothing imported: 1 invalid site file(s)" in result.output
    assert db.session.query(Site).count() == 0


def test_import_refuses_duplicate_ids(runner, write_site_file, site_document):
    first = write_site_file(site_document(), name="a.yaml")
    second = write_site_file(site_document(), name="b.yaml")
    result = _import(runner, first, second)
    assert result.exit_code == 1
    assert "id: 'example' is already declared" in result.output
    assert db.session.query(Site).count() == 0


def test_invalid_reimport_keeps_stored_site(runner, write_site_file, site_document):
    path = write_site_file(site_document())
    _import(runner, path)
    write_site_file(site_document(origins=["ftp://example.com"]))
    result = _import(runner, path)
    assert result.exit_code == 1
    assert SiteRepository(db.session).get("example").origins == [
        "https://example.com", "https://www.example.com"]


def test_import_only_new_keeps_existing_sites(runner, write_site_file, site_document):
    path = write_site_file(site_document())
    _import(runner, path)
    write_site_file(site_document(name="Renamed"))
    result = _import(runner, path, only_new=True)
    assert result.exit_code == 0
    assert SiteRepository(db.session).get("example").name == "Example Shop"


def test_list_shows_sites(runner):
    _import(runner, SAMPLE_SITES)
    result = runner.invoke(args=["sites", "list"])
    assert result.exit_code == 0
    for site_id in SAMPLE_IDS:
        assert site_id in result.output


def test_show_round_trips_as_a_site_file(runner, write_site_file, site_document, tmp_path):
    _import(runner, write_site_file(site_document()))
    shown = runner.invoke(args=["sites", "show", "example"])
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith("# catalog version 1, sha256 ")
    copy = tmp_path / "copy.yaml"
    copy.write_text(shown.output, encoding="utf-8")
    assert yaml.safe_load(shown.output)["operator"]["legal_name"] == "Example LLC"
    assert "(unchanged)" in _import(runner, copy).output


def test_show_prints_the_embed_snippet_with_the_public_url(app, runner, write_site_file,
                                                           site_document):
    _import(runner, write_site_file(site_document()))
    assert "set CONSENT_PUBLIC_URL" in runner.invoke(args=["sites", "show", "example"]).output
    app.config["PUBLIC_URL"] = "https://consent.example.org"
    shown = runner.invoke(args=["sites", "show", "example"])
    assert shown.exit_code == 0, shown.output
    assert ('#   <link rel="preconnect" href="https://consent.example.org">\n'
            '#   <script src="https://consent.example.org/c/example.js" async></script>\n'
            in shown.output)


def test_show_old_catalog_version(runner, write_site_file, site_document):
    document = site_document()
    path = write_site_file(document)
    _import(runner, path)
    document["catalog"]["mandatory"][0]["lifetime"] = "1 year"
    write_site_file(document)
    _import(runner, path)
    result = runner.invoke(args=["sites", "show", "example", "--version", "1", "--format", "json"])
    assert '"lifetime": "6 months"' in result.output
    missing = runner.invoke(args=["sites", "show", "example", "--version", "9"])
    assert missing.exit_code == 1
    assert "has no catalog version 9" in missing.output


def test_check_familami_reports_and_fails(runner):
    _import(runner, SAMPLE_SITES)
    result = runner.invoke(args=["sites", "check", "familami"])
    assert result.exit_code == 1
    assert "ym* does not match it" in result.output
    assert "[advertising-as-analytics] analytical item _fbp" in result.output


def test_check_clean_site_passes(runner, write_site_file, site_document):
    _import(runner, write_site_file(site_document()))
    result = runner.invoke(args=["sites", "check", "example"])
    assert result.exit_code == 0
    assert "example: no findings" in result.output


def test_unknown_site_is_a_clear_error(runner):
    for command in (["sites", "show", "nope"], ["sites", "check", "nope"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 1
        assert "no site with id 'nope'" in result.output


def test_a_new_site_starts_with_an_empty_chain_head(runner):
    runner.invoke(args=["sites", "import", str(SAMPLE_SITES / "sens.yaml")])
    head = db.session.get(LedgerHead, "sens")
    assert (head.seq, head.head_hash) == (0, GENESIS_HASH)


def test_migration_gives_sites_created_before_it_their_chain_head(tmp_path):
    from flask_migrate import upgrade

    from tests.conftest import insert_site_as_of_0009, make_test_app

    app = make_test_app(f"sqlite:///{tmp_path / 'old.sqlite3'}", tmp_path / "instance")
    with app.app_context():
        upgrade(revision="0007")
        insert_site_as_of_0009(db.session, "sens", head=False)  # no head, as before 0008
        db.session.commit()
        upgrade()
        assert db.session.get(LedgerHead, "sens").head_hash == GENESIS_HASH
        db.session.remove()
        db.engine.dispose()


def test_register_banners_stores_every_sites_texts_and_the_build(runner, write_site_file,
                                                                 site_document):
    from app.banner.bundle import gate_code
    from app.models import BannerBuild, TextSet

    _import(runner, write_site_file(site_document()))
    db.session.query(TextSet).delete()  # as after a deploy with new translations
    db.session.query(BannerBuild).delete()
    db.session.commit()
    result = runner.invoke(args=["sites", "register-banners"])
    assert result.exit_code == 0, result.output
    assert f"registered the banners of 1 site(s), build {gate_code()[2]}" in result.output
    assert db.session.get(BannerBuild, gate_code()[2]) is not None
    assert db.session.query(TextSet).filter_by(site_id="example").count() == len(
        site_document()["languages"])


def test_import_refuses_a_deleted_sites_file_and_keeps_it_deleted(runner, write_site_file,
                                                                  site_document):
    path = write_site_file(site_document())
    _import(runner, path)
    site_id = yaml.safe_load(path.read_text())["id"]
    repository = SiteRepository(db.session)
    delete_site(repository.get(site_id), site_id, "admin@example.com")
    db.session.commit()
    version = repository.get(site_id).catalog_version
    changed = site_document()
    changed["catalog"]["analytical"][0]["purpose"] = "Revived behind the admin's back"
    result = _import(runner, write_site_file(changed, name="revived.yaml"))
    assert result.exit_code != 0
    assert f"revived.yaml: id: site '{site_id}' was deleted" in result.output
    db.session.expire_all()
    site = repository.get(site_id)
    assert site.deleted_at is not None and site.catalog_version == version
    # --only-new skips it like any existing site, and says nothing was created.
    assert _import(runner, path, only_new=True).exit_code == 0
    with pytest.raises(SiteDeleted, match="deleted"):
        publish_site(db.session, site_spec(site, repository.catalog(site_id, version)))
