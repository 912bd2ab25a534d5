"""RFC 3161 time-stamps on checkpoints, from a local TSA (openssl ts -reply), on both databases."""
import json
import shutil
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.ledger.checkpoints import checkpoint_payload, key_id, payload_digest, public_pem, sign
from app.ledger.proof import chain_hash
from app.models import Checkpoint, ConsentRecord, LedgerHead, utc_now
from app.runtime import runtime
from app.signing import signing_key
from app.ticker import LedgerTicker
from tests.conftest import PROJECT_ROOT
from tests.conftest import post_report as post
from tests.tsa import LocalTsa

pytestmark = pytest.mark.skipif(not shutil.which("openssl"), reason="needs openssl for the TSA")
SITE = "testshop"


@pytest.fixture
def tsa(tmp_path):
    """A running local time-stamping authority with a CA of its own."""
    with LocalTsa(tmp_path / "tsa") as authority:
        yield authority


@pytest.fixture
def stamped_app(app, tsa):
    """The app configured to time-stamp its checkpoints with the local TSA."""
    app.config.update(TSA_URL=tsa.url, TSA_CA_FILE=str(tsa.ca_file))
    return app


def _verify(runner, *args):
    db.session.commit()
    return runner.invoke(args=["ledger", "verify", *args])


def _checkpoints():
    return db.session.scalars(select(Checkpoint).order_by(Checkpoint.id)).all()


def test_checkpoints_get_tokens_that_verify(stamped_app, client, make_report, runner, tsa):
    for _ in range(3):
        assert post(client, make_report()).status_code == 201
    stamped = runner.invoke(args=["ledger", "checkpoint"])
    assert "time-stamped 2 checkpoint(s)" in stamped.output, stamped.output
    assert all(c.tsa_token and c.tsa_time for c in _checkpoints())
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    assert "timestamps: 2 of 2 checkpoints time-stamped by the TSA" in result.output


def test_a_tsa_that_is_down_delays_the_token_never_the_consent(stamped_app, client, make_report,
                                                               runner, tsa):
    tsa.down = True
    assert post(client, make_report()).status_code == 201
    LedgerTicker(stamped_app).tick()
    assert _checkpoints()[0].tsa_token is None and tsa.requests >= 1
    result = _verify(runner)
    assert result.exit_code == 0 and "1 waiting for their token" in result.output
    # Past the grace period, a checkpoint without its token is reported, not accepted.
    stamped_app.config["TSA_GRACE"] = 0
    result = _verify(runner)
    assert result.exit_code == 1
    assert "timestamps: BROKEN: checkpoint of testshop at seq 1: has no time-stamp token" \
        in result.output
    tsa.down = False
    LedgerTicker(stamped_app).tick()
    assert _verify(runner).exit_code == 0


def test_a_token_for_another_digest_is_caught(stamped_app, client, make_report, runner):
    stamped_app.config["CHECKPOINT_INTERVAL"] = 0  # every report signs a checkpoint
    for _ in range(2):
        assert post(client, make_report()).status_code == 201
    runner.invoke(args=["ledger", "stamp"])
    first, second = _checkpoints()
    second.tsa_token = first.tsa_token
    result = _verify(runner)
    assert result.exit_code == 1
    assert "timestamps: BROKEN: checkpoint of testshop at seq 2: the token does not hold" \
        in result.output


def test_a_token_from_another_authority_is_caught(stamped_app, client, make_report, runner,
                                                  tmp_path):
    assert post(client, make_report()).status_code == 201
    with LocalTsa(tmp_path / "other") as other:
        stamped_app.config.update(TSA_URL=other.url, TSA_CA_FILE=str(other.ca_file))
        runtime(stamped_app).tsa_clients.clear()
        runner.invoke(args=["ledger", "stamp"])
    assert _checkpoints()[0].tsa_token
    result = _verify(runner, "--tsa-ca", str(tmp_path / "tsa" / "ca.pem"))
    assert result.exit_code == 1 and "the token does not hold" in result.output


def test_an_operator_re_signing_a_back_dated_history_is_caught(stamped_app, client, make_report,
                                                              runner):
    """The operator holds the key: it rewrites the chain, re-signs its checkpoint dated two
    days back, and gets it time-stamped. The TSA's clock says when it really was."""
    for _ in range(2):
        assert post(client, make_report()).status_code == 201
    previous = "0" * 64
    for record in db.session.scalars(select(ConsentRecord).order_by(ConsentRecord.seq)):
        record.content = {**record.content, "choices": {**record.content["choices"],
                                                        "marketing": True}}
        record.prev_hash, record.record_hash = previous, chain_hash(previous, record.content)
        previous = record.record_hash
    db.session.get(LedgerHead, SITE).head_hash = previous
    key = signing_key(stamped_app)
    for checkpoint in _checkpoints():
        checkpoint.head_hash = db.session.scalar(select(ConsentRecord.record_hash).filter_by(
            seq=checkpoint.seq))
        checkpoint.created_at = (utc_now() - timedelta(days=2)).isoformat()
        payload = checkpoint_payload(SITE, checkpoint.seq, checkpoint.head_hash,
                                     checkpoint.created_at, checkpoint.kind, checkpoint.prev_digest)
        checkpoint.signature, checkpoint.digest = sign(key, payload), payload_digest(payload)
        checkpoint.key_id, checkpoint.tsa_token, checkpoint.tsa_time = key_id(key.public_key()), \
            None, None
    db.session.commit()
    runner.invoke(args=["ledger", "stamp"])
    result = _verify(runner)
    assert result.exit_code == 1
    assert "checkpoint of testshop at seq 1: says it was signed at" in result.output
    assert "(back-dated?)" in result.output


def test_exports_carry_tokens_the_offline_verifier_checks(stamped_app, client, make_report,
                                                          runner, tmp_path, tsa):
    for _ in range(2):
        assert post(client, make_report()).status_code == 201
    out = tmp_path / "proof.ndjson"
    result = runner.invoke(args=["ledger", "export", "--format", "ndjson", "--output", str(out)])
    assert result.exit_code == 0, result.output
    manifest_path = tmp_path / "proof.ndjson.manifest.json"
    manifest = json.loads(manifest_path.read_text())
    assert all(c["tsa_token"] for c in manifest["sites"][SITE]["checkpoints"])
    pem = tmp_path / "ledger.pem"
    pem.write_text(public_pem(signing_key(stamped_app)))
    verify = [sys.executable, str(PROJECT_ROOT / "tools" / "verify_export.py"), str(out),
              str(manifest_path), "--public-key", str(pem), "--tsa-ca", str(tsa.ca_file)]
    checked = subprocess.run(verify, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "2 of 2 checkpoints time-stamped" in checked.stdout
    # The operator swaps a token and re-signs the manifest with its key: the token gives it away.
    from app.ledger.manifest import sign_manifest

    first, second = manifest["sites"][SITE]["checkpoints"]
    second["tsa_token"] = first["tsa_token"]
    unsigned = {k: v for k, v in manifest.items() if k not in ("signature", "key_id")}
    manifest_path.write_text(json.dumps(sign_manifest(unsigned, signing_key(stamped_app))))
    checked = subprocess.run(verify, capture_output=True, text=True)
    assert checked.returncode == 1
    assert "checkpoint testshop seq 2: its time-stamp token does not hold" in checked.stderr


def test_a_tsa_without_its_ca_file_refuses_to_start(tmp_path):
    from app.config import ConfigError
    from tests.conftest import make_test_app

    with pytest.raises(ConfigError, match="CONSENT_TSA_URL needs CONSENT_TSA_CA_FILE"):
        make_test_app("sqlite://", tmp_path, TSA_URL="http://127.0.0.1:1/tsa")
