"""When a site's chain gets a signed checkpoint: every N records and every T seconds.

Checkpoints are what make a rewrite evident, so none may wait for a cron job: the append path
signs one once a site's last checkpoint is older than the interval (its first record included),
and a ticker in every serving process signs the heads of sites that went quiet since. Each
process remembers when it last saw a site signed; before signing, the database is asked again
under the checkpoint log's lock, so several processes and nodes do not sign the same moment
twice.
"""
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app.ledger.checkpoint_log import linked_digests
from app.ledger.tables import Checkpoint, LedgerHead


class CheckpointPolicy:
    """Tell when a site's chain is due: every CHECKPOINT_EVERY records, or CHECKPOINT_INTERVAL
    seconds after the checkpoint signed last (at once when it has none).

    settings is a mapping read at every call (the app's config), so a changed setting applies
    at once.
    """

    def __init__(self, settings, clock=time.time):
        self.settings, self.clock = settings, clock
        self._signed_at = {}  # site id -> wall time of its last checkpoint, as this process knows
        self._lock = threading.Lock()

    @property
    def every(self):
        """Records between count-based checkpoints (0: none by count)."""
        return int(self.settings["CHECKPOINT_EVERY"])

    @property
    def interval(self):
        """Seconds after which a moved chain is signed again."""
        return float(self.settings["CHECKPOINT_INTERVAL"])

    def due(self, site_id, seq, last_signed_at):
        """Tell whether appending seq makes the site due.

        last_signed_at() reads when the site was last signed; it is called once per site.
        """
        every = self.every
        if every and seq % every == 0:
            return True
        signed_at = self._signed_at.get(site_id)
        if signed_at is None:
            last = last_signed_at()
            signed_at = float("-inf") if last is None else last.timestamp()
            self._remember(site_id, signed_at)
        return self.clock() - signed_at >= self.interval

    def signed(self, site_id, moment=None):
        """Note that the site's last checkpoint was signed at moment (a datetime; default now)."""
        self._remember(site_id, self.clock() if moment is None else moment.timestamp())

    def _remember(self, site_id, timestamp):
        with self._lock:
            self._signed_at[site_id] = timestamp


def sign_when_due(ledger, policy, site_id, seq, private_key):
    """Sign the site's head inside the append's transaction when policy says it is due.

    Returns the new checkpoint, or None (not due, or another process signed it meanwhile).
    """
    if not policy.due(site_id, seq, lambda: ledger.last_signed_at(site_id)):
        return None
    every = policy.every
    count_due = bool(every) and seq % every == 0
    since = None if count_due else _ago(policy.clock(), policy.interval)
    checkpoint = ledger.add_checkpoint(site_id, private_key, unless_signed_since=since)
    policy.signed(site_id, None if checkpoint else ledger.last_signed_at(site_id))
    return checkpoint


def sign_quiet_sites(ledger, private_key, interval, now=None):
    """Sign the head of every site whose chain moved since its last checkpoint, once that is
    interval seconds old; return the checkpoints signed."""
    now = now or time.time()
    since = _ago(now, interval)
    signed = []
    for site_id, head_seq, signed_seq in ledger.moved_heads():
        if head_seq > (signed_seq or 0):
            checkpoint = ledger.add_checkpoint(site_id, private_key, unless_signed_since=since)
            if checkpoint is not None:
                signed.append(checkpoint)
    return signed


def sign_heads_now(ledger, private_key, site_ids, commit):
    """Sign each site's head where it moved since its last checkpoint, committing each.

    Return (site id, the new checkpoint or None) per site, in order: what `ledger checkpoint`
    and the console's "sign a checkpoint now" do.
    """
    signed = []
    for site_id in site_ids:
        checkpoint = ledger.add_checkpoint(site_id, private_key)
        commit()
        signed.append((site_id, checkpoint))
    return signed


def latest_log_digest(ledger):
    """Return the digest of the checkpoint log's newest linked checkpoint, or None.

    Kept outside the database, it lets verify --anchor catch a log cut back past it.
    """
    return (linked_digests(ledger.checkpoint_log()) or [None])[-1]


def _ago(now, seconds):
    return datetime.fromtimestamp(now, UTC) - timedelta(seconds=seconds)


def moved_heads_statement():
    """Select (site id, head seq, seq of its newest checkpoint or None) for chains with records."""
    newest = (select(Checkpoint.site_id, func.max(Checkpoint.seq).label("seq"))
              .group_by(Checkpoint.site_id).subquery())
    return (select(LedgerHead.site_id, LedgerHead.seq, newest.c.seq)
            .outerjoin(newest, newest.c.site_id == LedgerHead.site_id)
            .where(LedgerHead.seq > 0).order_by(LedgerHead.site_id))


def checkpoint_due_within(settings):
    """Return how long a record may wait for its first checkpoint: the interval, one ticker
    round, and a minute's slack."""
    return timedelta(seconds=float(settings["CHECKPOINT_INTERVAL"]) + float(settings["LEDGER_TICK"])
                     + 60)
