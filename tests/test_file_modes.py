"""Files holding secrets or personal data are created readable by their owner only."""
import os
import stat
import subprocess
import sys

from app.db import create_private_sqlite_file
from app.ledger.checkpoints import generate_key
from tests.conftest import PROJECT_ROOT


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_embedded_database_is_created_private(tmp_path):
    create_private_sqlite_file(f"sqlite:///{tmp_path / 'db' / 'ledger.sqlite3'}", tmp_path)
    assert mode(tmp_path / "db" / "ledger.sqlite3") == 0o600


def test_a_relative_database_path_is_created_in_the_instance_folder(tmp_path):
    create_private_sqlite_file("sqlite:///relative.sqlite3", tmp_path)
    assert mode(tmp_path / "relative.sqlite3") == 0o600


def test_the_signing_key_is_private(tmp_path):
    generate_key(tmp_path / "keys" / "signing.pem")
    assert mode(tmp_path / "keys" / "signing.pem") == 0o600


def test_make_writes_the_instance_secret_private(tmp_path):
    result = subprocess.run(
        ["make", "-s", "-f", str(PROJECT_ROOT / "Makefile"), "instance/config.py",
         f"BIN={os.path.dirname(sys.executable)}"],
        cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert mode(tmp_path / "instance" / "config.py") == 0o600
    assert "SECRET_KEY = " in (tmp_path / "instance" / "config.py").read_text()


def test_gunicorn_uses_the_redacting_logger():
    from gunicorn.config import Config

    from app.serving_logs import RedactingLogger

    config = Config()
    config.set("logger_class", "app.serving_logs.RedactingLogger")
    assert config.logger_class is RedactingLogger
    settings = (PROJECT_ROOT / "gunicorn.conf.py").read_text()
    assert 'logger_class = "app.serving_logs.RedactingLogger"' in settings
    logger = RedactingLogger(config)
    environ = {"PATH_INFO": "/api/v1/receipts/secret.sig", "QUERY_STRING": "subject_id=sbj-1",
               "REQUEST_METHOD": "GET", "SERVER_PROTOCOL": "HTTP/1.1",
               "REMOTE_ADDR": "203.0.113.7",
               "RAW_URI": "/api/v1/receipts/secret.sig?subject_id=sbj-1"}

    class Response:
        status = "200 OK"
        sent = 10
        headers = ()

    class Request:
        headers = [("X-FORWARDED-FOR", "203.0.113.7")]

    from datetime import timedelta
    atoms = logger.atoms(Response(), Request(), environ, timedelta(seconds=0.01))
    assert atoms["r"] == "GET /api/v1/receipts/…?subject_id=… HTTP/1.1"
    assert "secret" not in str(atoms) and "sbj-1" not in str(atoms)
    assert "203.0.113.7" not in str(atoms)
