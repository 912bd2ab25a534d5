"""The integrity page: every chain verified, the checkpoint log, and signing a checkpoint now."""
from datetime import UTC, datetime, timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.accounts.service import audit
from app.console.auth import roles_required
from app.console.blueprint import bp
from app.console.forms import ConfirmForm
from app.console.views_proofs import _private_key, _public_key
from app.evidence.store import ScreenshotStore
from app.extensions import db
from app.ledger.audit import coverage_warning, verify_site
from app.ledger.checkpoint_log import linked_digests, verify_checkpoint_log
from app.ledger.checkpointing import checkpoint_due_within, latest_log_digest, sign_heads_now
from app.ledger.checkpoints import read_digest, stored_payload
from app.ledger.repository import LedgerRepository
from app.ledger.timestamps import TimestampError, TimestampReport, check_tokens, stamp_pending
from app.signing import tsa_client, tsa_verifier
from app.tables import utc_now


@bp.get("/integrity")
@roles_required(Role.AUDITOR)
def integrity():
    """Verify the chain of every site the user may read and show each verdict.

    ?anchor= is a checkpoint digest the auditor kept earlier: the log must still hold it.
    """
    typed = request.args.get("anchor", "")
    anchor = read_digest(typed) if typed.strip() else ""
    if anchor is None:
        return render_template("console/integrity.html", anchor=typed.strip(), anchor_error=_(
            "That is not a checkpoint digest (64 hexadecimal characters).")), 400
    ledger = LedgerRepository(db.session)
    key = _public_key()
    url = db.engine.url.render_as_string(hide_password=False)
    # One pass in this worker: a web worker must not fork verifying processes.
    site_ids = [site_id for site_id in ledger.site_ids() if current_user.can_read_proofs(site_id)]
    verdicts = [verify_site(db.session, url, site_id, key, workers=1) for site_id in site_ids]
    due, now = checkpoint_due_within(current_app.config), utc_now()
    warnings = {verdict.site_id: coverage_warning(db.session, verdict.site_id, due, now)
                for verdict in verdicts if verdict.ok}
    log = ledger.checkpoint_log()
    log_problem = verify_checkpoint_log(log, key, [anchor] if anchor else ())
    latest = (linked_digests(log) or [None])[-1]
    shots_checked, altered = ScreenshotStore(db.session).check(site_ids)
    return render_template("console/integrity.html", verdicts=verdicts, key_known=key is not None,
                           log_problem=log_problem, latest=latest, anchor=anchor,
                           timestamps=_timestamps(log), warnings=warnings,
                           shots_checked=shots_checked, altered_shots=altered,
                           sign_form=ConfirmForm())


@bp.post("/integrity/checkpoint")
@roles_required(Role.AUDITOR)
def sign_checkpoint():
    """Sign the chain heads that moved since their last checkpoint, as `ledger checkpoint` does."""
    if not ConfirmForm().validate_on_submit():
        abort(400, _("The form expired; sign again from the integrity page."))
    key = _private_key()
    if key is None:
        abort(503, _("This service has no ledger signing key, so it cannot sign checkpoints."))
    ledger = LedgerRepository(db.session)
    signed = [(site_id, checkpoint.seq) for site_id, checkpoint
              in sign_heads_now(ledger, key, ledger.site_ids(), db.session.commit) if checkpoint]
    _stamp(ledger)
    digest = latest_log_digest(ledger)
    audit(db.session, current_user.email, "ledger.checkpoint", "",
          signed={site_id: seq for site_id, seq in signed}, log_digest=digest)
    db.session.commit()
    if signed:
        flash(_("Signed %(count)d checkpoint(s): %(sites)s.", count=len(signed),
                sites=", ".join(f"{site_id} #{seq}" for site_id, seq in signed)))
    else:
        flash(_("No chain moved since its last checkpoint; nothing new to sign."))
    if digest:
        flash(_("Checkpoint log digest to keep: %(digest)s", digest=digest), "digest")
    return redirect(url_for("console.integrity"))


def _stamp(ledger):
    """Fetch the new checkpoints' time-stamp tokens when a TSA is configured; never fail on it."""
    client = tsa_client(current_app)
    if client is None:
        return
    _stamped, error = stamp_pending(ledger, client, db.session.commit)
    if error:
        flash(_("The time-stamping authority did not answer (%(error)s); the ticker tries again.",
                error=error), "bad")


def _timestamps(log):
    """Check the checkpoints' time-stamp tokens when a TSA is configured; None otherwise."""
    config = current_app.config
    if not config["TSA_URL"]:
        return None
    try:
        verifier = tsa_verifier(current_app)
    except TimestampError as error:
        return TimestampReport(0, 0, str(error))
    return check_tokens(log, stored_payload, verifier, datetime.now(UTC),
                        timedelta(seconds=config["TSA_GRACE"]),
                        timedelta(seconds=config["TSA_MAX_DELAY"]))
