"""Where the ledger's signing key and time-stamping authority are configured for this app."""
from pathlib import Path

from app.ledger.checkpoints import load_key
from app.ledger.timestamps import TokenVerifier, TsaClient, load_certificates
from app.runtime import runtime


def signing_key_path(app):
    """Return the configured key file; relative paths are inside the instance folder."""
    return Path(app.instance_path) / app.config["LEDGER_SIGNING_KEY_FILE"]


def signing_key(app):
    """Return the app's Ed25519 private key; raise SigningKeyError when it is missing."""
    cache = runtime(app).signing_keys
    path = signing_key_path(app)
    if path not in cache:
        cache[path] = load_key(path)
    return cache[path]


def tsa_verifier(app, path=None):
    """Return a TokenVerifier for the TSA's certificates (path as given, or CONSENT_TSA_CA_FILE
    inside instance/ when relative), or None when neither is set; raise TimestampError when the
    file is unusable."""
    if not path:
        if not app.config["TSA_CA_FILE"]:
            return None
        path = Path(app.instance_path) / app.config["TSA_CA_FILE"]
    return TokenVerifier(load_certificates(path))


def tsa_client(app):
    """Return the app's TsaClient, or None when no TSA is configured."""
    if not app.config["TSA_URL"]:
        return None
    cache = runtime(app).tsa_clients
    key = (app.config["TSA_URL"], app.config["TSA_CA_FILE"])
    if key not in cache:
        cache[key] = TsaClient(app.config["TSA_URL"], tsa_verifier(app),
                               float(app.config["TSA_TIMEOUT"]))
    return cache[key]
