"""Health check, demo pages and security headers."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.embed import embed_snippet
from app.extensions import db
from tests.conftest import make_test_app


def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_database_is_unreachable(tmp_path):
    app = make_test_app("postgresql://nobody:pw@127.0.0.1:1/nowhere", tmp_path / "instance")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "unreachable"}
    assert b"pw" not in response.data


def test_demo_index_lists_sample_sites(client, samples):
    page = client.get("/demo/").get_data(as_text=True)
    for site_id in ("flomni", "oomnis", "familami", "sens", "loginom"):
        assert f'href="/demo/{site_id}"' in page


@pytest.mark.parametrize("site_id", ["flomni", "oomnis", "familami", "sens", "loginom"])
def test_demo_page_shows_operator_and_embed_snippet(client, samples, site_id):
    response = client.get(f"/demo/{site_id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"&lt;script src=&#34;http://localhost/c/{site_id}.js&#34; async&gt;" in page
    assert "&lt;link rel=&#34;preconnect&#34; href=&#34;http://localhost&#34;&gt;" in page
    assert "Privacy policy" in page or "Политика" in page


def test_demo_page_uses_public_url_in_snippet(app, samples):
    app.config["PUBLIC_URL"] = "https://consent.example.org"
    page = app.test_client().get("/demo/flomni").get_data(as_text=True)
    assert "https://consent.example.org/c/flomni.js" in page


def test_embed_snippet_preconnects_to_the_service_origin_beside_the_script(app):
    app.config["PUBLIC_URL"] = "https://consent.example.org"
    with app.test_request_context():
        preconnect, script = embed_snippet("http://ignored.example/", "flomni").splitlines()
    # No crossorigin: the tag's own fetch is credentialed and would not reuse an anonymous socket.
    assert preconnect == '<link rel="preconnect" href="https://consent.example.org">'
    assert script == '<script src="https://consent.example.org/c/flomni.js" async></script>'


def test_demo_page_speaks_the_site_language(client, samples):
    russian = client.get("/demo/flomni", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert '<html lang="ru">' in russian
    assert "Политика конфиденциальности" in russian
    english = client.get("/demo/flomni?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english


def test_demo_unknown_site_is_404(client):
    assert client.get("/demo/nope").status_code == 404


def test_responses_carry_security_headers(client):
    headers = client.get("/healthz").headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_migrations_match_the_models(app):
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert diff == []
        assert {"sites", "catalog_versions"} <= set(inspect(connection).get_table_names())


def test_sqlite_runs_in_wal_mode_with_full_sync(migrated_urls, tmp_path):
    app = make_test_app(migrated_urls("sqlite"), tmp_path / "instance")
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2
