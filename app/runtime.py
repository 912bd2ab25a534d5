"""Per-app state, made once by create_app and kept in app.extensions["consent_gate"].

Everything a request or a command reuses between calls lives in one Runtime, built in order by
init_app: request code only reads it (runtime()), never creates it.

    intake             snapshots of sites, catalogs, text sets and builds (ledger.snapshots)
    writer             the group committer and the checkpoint policy (ledger.writer)
    rate_window        the moving windows every limit counts in: this process's or shared
    report_limiter     reports and banner displays per client network and per site
    receipts           the signer of receipts, under the app's secret
    ip_key             the key of keyed IP hashes, derived from the secret
    signing_keys       the ledger's Ed25519 key, loaded on first use (keygen may come later)
    tsa_clients        RFC 3161 clients, by URL and CA file
"""
import hashlib
from dataclasses import dataclass, field

from flask import current_app

from app.banner.bundle import gate_code
from app.ledger.checkpointing import CheckpointPolicy
from app.ledger.group_commit import GroupCommitter
from app.ledger.limits import ReportLimiter
from app.ledger.locks import write_lock
from app.ledger.proof import receipt_serializer
from app.ledger.snapshots import IntakeCache
from app.ledger.writer import LedgerWriter
from app.rate_limits import LimitStorageError, rate_window

#: The one key of app.extensions this service uses.
EXTENSION = "consent_gate"


@dataclass
class Runtime:
    """What one app keeps between requests and commands."""

    intake: IntakeCache
    writer: LedgerWriter
    rate_window: object
    report_limiter: ReportLimiter
    receipts: object
    ip_key: bytes
    signing_keys: dict = field(default_factory=dict)
    tsa_clients: dict = field(default_factory=dict)
    ticker: object = None

    @property
    def checkpoint_policy(self):
        """When each site is due for a signed checkpoint."""
        return self.writer.policy


def init_app(app):
    """Build the app's runtime state from its config and keep it in app.extensions."""
    from app.config import ConfigError
    from app.signing import signing_key

    secret = app.secret_key.encode()
    policy = CheckpointPolicy(app.config)
    try:
        window = rate_window(app.config["RATE_LIMIT_STORAGE"])
    except LimitStorageError as error:
        raise ConfigError(str(error)) from None
    app.extensions[EXTENSION] = Runtime(
        intake=IntakeCache(current_build=gate_code()[2]),
        writer=LedgerWriter(GroupCommitter(write_lock), policy, lambda: signing_key(app)),
        rate_window=window,
        report_limiter=ReportLimiter(app.config, window),
        receipts=receipt_serializer(app.secret_key),
        # A key of its own, derived from the secret, so IP hashes cannot be matched across services.
        ip_key=hashlib.sha256(b"consent-gate.ip:" + secret).digest(),
    )


def runtime(app=None):
    """Return the runtime state of an app (default: the current one)."""
    return (app or current_app).extensions[EXTENSION]
