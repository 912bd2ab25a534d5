"""A background thread in every serving process that keeps checkpoints current without cron.

The append path signs a busy site's chain as soon as its last checkpoint is older than
CONSENT_CHECKPOINT_INTERVAL; this thread signs the heads of sites that went quiet since, and
fetches the time-stamp tokens a TSA could not give at once. gunicorn starts one per worker
(gunicorn.conf.py); the database decides, under the checkpoint log's lock, which of them signs.
"""
import logging
import threading

from app.extensions import db
from app.ledger.checkpointing import sign_quiet_sites
from app.ledger.checkpoints import SigningKeyError
from app.ledger.repository import LedgerRepository
from app.ledger.timestamps import stamp_pending
from app.runtime import runtime
from app.signing import signing_key, tsa_client

log = logging.getLogger(__name__)


class LedgerTicker:
    """Every LEDGER_TICK seconds: sign quiet sites' heads, then fetch missing tokens."""

    def __init__(self, app):
        self.app = app
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ledger-ticker", daemon=True)

    def start(self):
        """Start ticking in a daemon thread."""
        self._thread.start()
        return self

    def stop(self, timeout=5):
        """Stop after the current tick."""
        self._stop.set()
        self._thread.join(timeout)

    def _run(self):
        while not self._stop.wait(float(self.app.config["LEDGER_TICK"])):
            self.tick()

    def tick(self):
        """Sign what is due and stamp what waits; failures are logged, never raised."""
        with self.app.app_context():
            try:
                self._tick()
            except Exception:  # a database or TSA outage must not end the thread
                log.exception("ledger ticker: this round failed; the next one tries again")
                db.session.rollback()
            finally:
                db.session.remove()

    def _tick(self):
        ledger = LedgerRepository(db.session)
        try:
            key = signing_key(self.app)
        except SigningKeyError as error:
            log.warning("ledger ticker: no checkpoints signed: %s", error)
            return
        signed = sign_quiet_sites(ledger, key, float(self.app.config["CHECKPOINT_INTERVAL"]))
        db.session.commit()
        if signed:
            log.info("ledger ticker: signed %d quiet chain(s)", len(signed))
        client = tsa_client(self.app)
        if client is not None:
            _stamped, error = stamp_pending(ledger, client, db.session.commit)
            if error:
                log.warning("ledger ticker: %s; tokens are fetched later", error)


def start_ticker(app):
    """Start the app's ticker in this process (once) and return it."""
    state = runtime(app)
    if state.ticker is None:
        state.ticker = LedgerTicker(app).start()
    return state.ticker
