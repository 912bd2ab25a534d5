"""Shared fixtures: an app per test on SQLite and PostgreSQL, site file factories, a browser,
a Redis of the run's own."""
import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import redis
import tomli_w
import yaml
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.banner.bundle import read_bundle_config
from app.extensions import db
from app.ledger.checkpoints import generate_key
from app.signing import signing_key_path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_SITES = PROJECT_ROOT / "sites"
TEST_SHOP = PROJECT_ROOT / "tests" / "fixtures" / "testshop.yaml"
POSTGRES_ADMIN_URL = os.environ.get(
    "CONSENT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")

pytest_plugins = ["tests.browser"]


@pytest.fixture(scope="session")
def postgres_url():
    """Create a database of this run's own on the local server; drop it afterwards."""
    name = f"consent_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL is required for the storage tests ({POSTGRES_ADMIN_URL}): {error}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port():
    """Return a TCP port on loopback that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """Start Debian's redis-server for this run on a port of its own, keeping nothing on disk."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is required for the shared-limit tests (make test installs it)")
    port, folder = free_port(), tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    connection = redis.Redis.from_url(url)
    deadline = time.monotonic() + 20
    while True:
        try:
            connection.ping()
            break
        except redis.ConnectionError:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server did not start on port {port}")
            time.sleep(0.05)
    yield url
    connection.close()
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def redis_url(redis_server):
    """The run's Redis, emptied for this test."""
    connection = redis.Redis.from_url(redis_server)
    connection.flushdb()
    connection.close()
    return redis_server


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """The URL of a database with no schema yet, on each backend; dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    name = f"consent_mig_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{base}/{name}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def migrated_urls(tmp_path_factory, request):
    """Return a migrated database URL per backend, each migrated once per run."""
    urls = {}

    def url_for(backend):
        if backend not in urls:
            if backend == "sqlite":
                path = tmp_path_factory.mktemp("sqlite") / "consent.sqlite3"
                urls[backend] = f"sqlite:///{path}"
            else:
                urls[backend] = request.getfixturevalue("postgres_url")
            app = make_test_app(urls[backend], tmp_path_factory.mktemp("instance"))
            with app.app_context():
                upgrade()
                db.engine.dispose()
        return urls[backend]

    return url_for


def make_test_app(database_url, instance_path, **overrides):
    """Build an app configured for tests."""
    config = {"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": database_url,
              "WTF_CSRF_ENABLED": False, **overrides}
    return create_app(test_config=config, instance_path=instance_path)


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Run the test once on SQLite and once on PostgreSQL."""
    return request.param


@pytest.fixture
def app(backend, migrated_urls, tmp_path):
    """An app on a freshly emptied, migrated database."""
    app = make_test_app(migrated_urls(backend), tmp_path / "instance")
    generate_key(signing_key_path(app))
    with app.app_context():
        empty_tables()
        yield app
        db.session.remove()
        db.engine.dispose()


def empty_tables():
    """Delete every row, children first, keeping the schema."""
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def samples(runner):
    """Import the five sample sites."""
    result = runner.invoke(args=["sites", "import", str(SAMPLE_SITES)])
    assert result.exit_code == 0, result.output


@pytest.fixture
def client(app):
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for the app's commands."""
    return app.test_cli_runner()


def valid_site_document(**overrides):
    """Return a complete, valid site document; overrides replace top-level keys."""
    document = {
        "id": "example",
        "name": "Example Shop",
        "operator": {
            "legal_name": "Example LLC",
            "registration_number": "7801234567",
            "address": "1 Example Street, St. Petersburg",
            "email": "privacy@example.com",
        },
        "origins": ["https://example.com", "https://www.example.com"],
        "languages": ["en", "ru"],
        "default_language": "en",
        "regime": ["gdpr"],
        "privacy_policy": {"url": "https://example.com/privacy", "version": "2025-01-01"},
        "consent_lifetime_days": 180,
        "trackers": {"yandex_metrica": "12345678"},
        "catalog": {
            "mandatory": [{
                "name": "cookie_consent", "provider": "first_party",
                "purpose": {"en": "Remembers your choice", "ru": "Запоминает ваш выбор"},
                "lifetime": "6 months",
            }],
            "analytical": [
                {"name": "^_ym_", "match": "regex", "provider": "Yandex LLC",
                 "purpose": "Yandex.Metrica visitor statistics", "lifetime": "1 year"},
                {"name": "_ym", "match": "prefix", "storage": "localStorage",
                 "provider": "Yandex LLC", "purpose": "Yandex.Metrica state",
                 "lifetime": "persistent"},
            ],
        },
    }
    document.update(overrides)
    return document


@pytest.fixture
def site_document():
    """Factory: a valid site document with top-level overrides."""
    return valid_site_document


@pytest.fixture
def write_site_file(tmp_path):
    """Factory: write a site document (or raw text) to a YAML or TOML file and return its path.

    The samples' policy texts are copied beside it, so a changed sample still finds its `file:`.
    """

    def write(document=None, name="example.yaml", raw=None):
        shutil.copytree(SAMPLE_SITES / "policies", tmp_path / "policies", dirs_exist_ok=True)
        path = tmp_path / name
        if raw is not None:
            path.write_text(raw, encoding="utf-8")
        elif name.endswith(".toml"):
            path.write_text(tomli_w.dumps(document), encoding="utf-8")
        else:
            path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        return path

    return write


ORIGIN = "https://www.testshop.test"
CHROME = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/156.0.0.0 Safari/537.36")


def _config(client):
    return read_bundle_config(client.get("/c/testshop.js", headers={"Accept-Encoding": ""}).data)


@pytest.fixture
def make_report(runner, client):
    """Factory: a valid report of the test shop's banner, with overrides."""
    result = runner.invoke(args=["sites", "import", str(TEST_SHOP)])
    assert result.exit_code == 0, result.output
    config = _config(client)
    counter = iter(range(10_000))

    def make(**overrides):
        report = {
            "event_id": f"evt-{next(counter):08d}", "consent_id": "cns-00000001",
            "subject_id": "sbj-00000001", "site": "testshop", "event": "grant",
            "ui_action": "accept_all",
            "choices": {"mandatory": True, "analytical": True, "marketing": False},
            "catalog_version": 1, "policy_version": "2025-01-01",
            "consent_document_version": "2025-01-01", "language": "en",
            "texts_digest": config["texts"]["en"]["digest"], "banner_build": config["build"],
            "gpc": False, "page": f"{ORIGIN}/checkout?coupon=secret#top",
            "client_time": "2026-11-22T10:00:00.000Z", "expires": "2027-05-21T10:00:00.000Z",
        }
        report.update(overrides)
        if "subject_secret" not in overrides and isinstance(report.get("subject_id"), str):
            report["subject_secret"] = subject_secret(report["subject_id"])
        return report

    return make


def subject_secret(subject_id):
    """Return the secret the test subject's browser keeps (one per subject id)."""
    return "secret-of-" + "".join(c for c in subject_id if c.isalnum() or c in "-_").ljust(12, "x")


def post_report(client, body, origin=ORIGIN, content_type="text/plain"):
    """Send a report as the banner does."""
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    headers = {"User-Agent": CHROME, **({"Origin": origin} if origin else {})}
    return client.post("/api/v1/consents", data=data, content_type=content_type, headers=headers)


PASSWORD = "correct horse battery staple"


@pytest.fixture
def make_user(app):
    """Factory: a console account with a role and sites; returns its e-mail."""
    from app.accounts.service import create_user

    def make(role, *site_ids, email=None):
        email = email or f"{role}-{'-'.join(site_ids) or 'all'}@example.com"
        # scrypt as in production, at a cost low enough for hundreds of logins.
        create_user(db.session, email, PASSWORD, role, site_ids, method="scrypt:1024:8:1")
        db.session.commit()
        return email

    return make


def login(client, email, password=PASSWORD, next_url=None):
    """Log a test client in through the login form."""
    url = "/console/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password})


@pytest.fixture
def owner(app, runner, make_user):
    """A test client logged in as the owner of the imported test shop (tests/fixtures/testshop.yaml)."""
    assert runner.invoke(args=["sites", "import", str(TEST_SHOP)]).exit_code == 0
    client = app.test_client()
    login(client, make_user("owner", "testshop"))
    return client


@pytest.fixture
def sibling_app(app, tmp_path):
    """Factory: another app on the same database with other settings; its pool is closed after."""
    made = []

    def make(**overrides):
        sibling = make_test_app(app.config["DATABASE_URL"], tmp_path / f"sibling{len(made)}",
                                **overrides)
        made.append(sibling)
        return sibling

    yield make
    for sibling in made:
        with sibling.app_context():
            db.engine.dispose()


def insert_site_as_of_0009(session, site_id, head=True):
    """Store a site as the schema of revision 0009 (columns of that time) held it."""
    now = "2026-11-01 00:00:00.000000"
    session.execute(text(
        "INSERT INTO sites (id, name, operator_legal_name, operator_registration_number,"
        " operator_address, operator_email, origins, languages, default_language, regimes,"
        " privacy_policy_url, privacy_policy_version, consent_lifetime_days, yandex_metrica_id,"
        " catalog_version, created_at, updated_at, ga4_consent_mode, gpc_mode, text_overrides,"
        " ip_mode, retention_days) VALUES (:id, 'Old', 'Old LLC', '', '', 'dpo@old.example',"
        " '[\"https://old.example\"]', '[\"ru\"]', 'ru', '[\"ru152\"]', 'https://old.example/p',"
        " 'v1', 180, '12345678', 1, :now, :now, 'basic', 'refuse', '{}', 'hash', 1095)"),
        {"id": site_id, "now": now})
    if head:
        session.execute(text("INSERT INTO ledger_heads (site_id, seq, head_hash) VALUES (:id, 0, :h)"),
                        {"id": site_id, "h": "0" * 64})
