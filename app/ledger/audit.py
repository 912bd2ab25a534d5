"""Verify a site's stored ledger as an auditor would: one function for the CLI, the console and
exports (no Flask inside)."""
from app.ledger.coverage import coverage_gap
from app.ledger.references import reference_checker
from app.ledger.repository import LedgerRepository
from app.ledger.verify import verify_stored_chain


def verify_site(session, database_url, site_id, public_key, workers=None):
    """Verify one site's stored chain up to its head as read now: every record, column and link,
    the signed checkpoints, and the catalogs and text sets its records name."""
    ledger = LedgerRepository(session)
    # Read the head first and stop there, so appends made meanwhile are not mistaken for damage.
    checkpoints = ledger.checkpoints(site_id)
    head, low, high = ledger.chain_state(site_id)
    return verify_stored_chain(site_id, database_url, head, checkpoints, public_key, low, workers,
                               reference_checker(session, site_id), high)


def coverage_warning(session, site_id, due_within, now):
    """Return a warning naming a record covered later than due, or never, by a checkpoint; or ""."""
    ledger = LedgerRepository(session)
    head = ledger.head(site_id)
    return coverage_gap(session, site_id, ledger.checkpoints(site_id), head.seq if head else 0,
                        due_within, now)
