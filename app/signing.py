"""Where the ledger signing key lives for this app, loaded once per process."""
from pathlib import Path

from app.ledger.checkpoints import load_key


def signing_key_path(app):
    """Return the configured key file; relative paths are inside the instance folder."""
    return Path(app.instance_path) / app.config["LEDGER_SIGNING_KEY_FILE"]


def signing_key(app):
    """Return the app's Ed25519 private key; raise SigningKeyError when it is missing."""
    cache = app.extensions.setdefault("consent_gate.signing_key", {})
    path = signing_key_path(app)
    if path not in cache:
        cache[path] = load_key(path)
    return cache[path]
