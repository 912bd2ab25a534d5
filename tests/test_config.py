"""Configuration precedence and refusals: unsafe secrets, unknown databases, bad values."""
import os
import subprocess
import sys

import pytest

from app import create_app
from app.config import ConfigError, check_serving_config
from tests.conftest import PROJECT_ROOT


@pytest.fixture
def production_env(monkeypatch, tmp_path):
    """An environment with no CONSENT_* settings leaking in from the developer's shell."""
    for name in list(os.environ):
        if name.startswith("CONSENT_") or name in ("DATABASE_URL", "FLASK_DEBUG"):
            monkeypatch.delenv(name)
    return tmp_path / "instance"


def test_default_secret_is_refused_in_production(production_env):
    with pytest.raises(ConfigError, match="CONSENT_SECRET_KEY is missing or a known default"):
        create_app(instance_path=production_env)


def test_secret_from_environment_is_accepted(production_env, monkeypatch):
    monkeypatch.setenv("CONSENT_SECRET_KEY", "a" * 64)
    app = create_app(instance_path=production_env)
    assert app.config["SECRET_KEY"] == "a" * 64
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/consent-gate.sqlite3")


def test_instance_file_then_environment_then_test_config(production_env, monkeypatch):
    production_env.mkdir()
    (production_env / "config.py").write_text(
        "SECRET_KEY = 'from-file-' + 'x' * 40\nPUBLIC_URL = 'https://file.example/'\n")
    app = create_app(instance_path=production_env)
    assert app.config["SECRET_KEY"].startswith("from-file-")
    assert app.config["PUBLIC_URL"] == "https://file.example"
    monkeypatch.setenv("CONSENT_PUBLIC_URL", "https://env.example")
    assert create_app(instance_path=production_env).config["PUBLIC_URL"] == "https://env.example"
    app = create_app({"PUBLIC_URL": "https://test.example"}, instance_path=production_env)
    assert app.config["PUBLIC_URL"] == "https://test.example"


def test_dev_flag_allows_default_secret(production_env, monkeypatch):
    monkeypatch.setenv("CONSENT_DEV", "true")
    assert create_app(instance_path=production_env).config["DEV"] is True


@pytest.mark.parametrize(("url", "expected"), [
    ("postgresql://u@db/consent", "postgresql+psycopg://u@db/consent"),
    ("postgres://u:pw@db/consent", "postgresql+psycopg://u:pw@db/consent"),
    ("postgresql+psycopg://u@db/consent", "postgresql+psycopg://u@db/consent"),
    ("sqlite:////tmp/x.sqlite3", "sqlite:////tmp/x.sqlite3"),
])
def test_database_url_schemes_are_normalized(production_env, url, expected):
    app = create_app({"TESTING": True, "DATABASE_URL": url}, instance_path=production_env)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == expected


def test_plain_database_url_is_honoured(production_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/consent")
    app = create_app({"TESTING": True}, instance_path=production_env)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/consent"


@pytest.mark.parametrize(("settings", "message"), [
    ({"DATABASE_URL": "mysql://root@localhost/db"}, "scheme 'mysql' is not supported"),
    ({"DATABASE_URL": "not a url"}, "is not a database URL"),
    ({"TRUSTED_PROXIES": "two"}, "CONSENT_TRUSTED_PROXIES must be a whole number"),
    ({"PUBLIC_URL": "consent.example.com"}, "CONSENT_PUBLIC_URL must be an absolute http"),
    ({"PUBLIC_URL": "ftp://consent.example.com"}, "CONSENT_PUBLIC_URL must be an absolute http"),
    ({"PUBLIC_URL": "https://consent.example.com/gate"}, "CONSENT_PUBLIC_URL must be .* no path"),
    ({"PUBLIC_URL": "https://consent.example.com?x=1"}, "CONSENT_PUBLIC_URL must be"),
    ({"PUBLIC_URL": "https://user@consent.example.com"}, "CONSENT_PUBLIC_URL must be"),
    ({"PUBLIC_URL": "https://consent.example.com:port"}, "CONSENT_PUBLIC_URL must be"),
    ({"DEMO_URL": "https://demo.example.net/demo"}, "CONSENT_DEMO_URL must be"),
    ({"PUBLIC_URL": "http://127.0.0.1:5000", "DEMO_URL": "http://127.0.0.1:5001"},
     "CONSENT_DEMO_URL must be on another host than CONSENT_PUBLIC_URL"),
])
def test_bad_settings_are_refused(production_env, settings, message):
    with pytest.raises(ConfigError, match=message):
        create_app({"TESTING": True, **settings}, instance_path=production_env)


def run_cli(*args, env=None, timeout=60):
    """Run a command in the project root with a clean CONSENT_* environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONSENT_")}
    clean.pop("DATABASE_URL", None)
    clean.update(env or {})
    return subprocess.run(args, cwd=PROJECT_ROOT, env=clean, capture_output=True, text=True,
                          timeout=timeout, check=False)


def _flask(*args, env):
    return run_cli(sys.executable, "-m", "flask", "--app", "wsgi", *args, env=env)


def _one_line_error(result):
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_cli_reports_default_secret_in_production(tmp_path):
    result = _flask("sites", "list", env={"CONSENT_SECRET_KEY": "dev",
                                         "CONSENT_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert "CONSENT_SECRET_KEY is missing or a known default" in _one_line_error(result)


def test_cli_reports_unknown_database_scheme():
    result = _flask("sites", "list", env={"CONSENT_SECRET_KEY": "s" * 40,
                                         "CONSENT_DATABASE_URL": "mysql://root@127.0.0.1/db"})
    assert "scheme 'mysql' is not supported" in _one_line_error(result)


UNREACHABLE = {"CONSENT_SECRET_KEY": "s" * 40,
               "CONSENT_DATABASE_URL": "postgresql://nobody:secret-pw@127.0.0.1:1/nowhere"}


@pytest.mark.parametrize("command", [["sites", "list"], ["db", "upgrade"]])
def test_cli_reports_unreachable_database(command):
    result = _flask(*command, env=UNREACHABLE)
    line = _one_line_error(result)
    assert "cannot reach the database postgresql+psycopg://nobody:***@127.0.0.1:1/nowhere" in line
    assert "secret-pw" not in result.stderr + result.stdout


def test_gunicorn_refuses_to_start_without_database():
    result = run_cli(sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                     "--bind", "127.0.0.1:0", "wsgi:app",
                     env={**UNREACHABLE, "CONSENT_PUBLIC_URL": "https://consent.example.com"})
    assert result.returncode != 0
    assert "consent-gate: cannot reach the database" in result.stderr
    assert "Traceback" not in result.stderr
    assert "secret-pw" not in result.stderr


@pytest.mark.parametrize(("value", "expected"), [
    ("https://Consent.Example.com/", "https://consent.example.com"),
    ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
    ("", ""),
])
def test_public_url_is_normalized(production_env, value, expected):
    app = create_app({"TESTING": True, "PUBLIC_URL": value}, instance_path=production_env)
    assert app.config["PUBLIC_URL"] == expected


def test_serving_requires_public_url_outside_tests_and_development(production_env, monkeypatch):
    monkeypatch.setenv("CONSENT_SECRET_KEY", "a" * 64)
    # Commands (db upgrade, sites import) need no public address: the app still builds.
    app = create_app(instance_path=production_env)
    with pytest.raises(ConfigError, match="CONSENT_PUBLIC_URL is required to serve"):
        check_serving_config(app)
    monkeypatch.setenv("CONSENT_PUBLIC_URL", "https://consent.example.com")
    check_serving_config(create_app(instance_path=production_env))
    monkeypatch.delenv("CONSENT_PUBLIC_URL")
    monkeypatch.setenv("CONSENT_DEV", "1")
    check_serving_config(create_app(instance_path=production_env))


def test_gunicorn_refuses_to_start_without_public_url(tmp_path):
    result = run_cli(sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                     "--bind", "127.0.0.1:0", "wsgi:app",
                     env={"CONSENT_SECRET_KEY": "s" * 40,
                          "CONSENT_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert result.returncode != 0
    assert ("consent-gate: configuration error: CONSENT_PUBLIC_URL is required to serve"
            in result.stderr)
    assert "Traceback" not in result.stderr


def test_cli_works_without_public_url(tmp_path):
    env = {"CONSENT_SECRET_KEY": "s" * 40, "CONSENT_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    assert _flask("db", "upgrade", env=env).returncode == 0
    listed = _flask("sites", "list", env=env)
    assert listed.returncode == 0, listed.stderr
