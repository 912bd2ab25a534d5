"""The checkpoint log: every checkpoint, of every site, names the digest of the one signed before
it, so removing one breaks a link (no database, no Flask)."""
from app.ledger.checkpoints import LOG_GENESIS, payload_digest, signature_holds, stored_payload


def verify_checkpoint_log(checkpoints, public_key=None, anchors=()):
    """Check that the checkpoints of all sites, in signing order, link up; return a problem or "".

    Each checkpoint names the digest of the one signed before it, so a checkpoint removed from
    the middle of the log, or every checkpoint of a deleted site, breaks a link. Checkpoints
    signed before the log existed carry no link and are skipped. Checkpoints cut from the end
    leave no gap: anchors, digests of checkpoints kept outside the database, must still be in
    the log.
    """
    problem = _log_links_up(checkpoints, public_key)
    if problem:
        return problem
    linked = set(linked_digests(checkpoints))
    for anchor in anchors:
        if anchor not in linked:
            return (f"the checkpoint {anchor} kept as an anchor is not in the log: checkpoints "
                    "were removed from its end, or it was rewritten")
    return ""


def linked_digests(checkpoints):
    """Return the digests of the checkpoints in the log, in signing order (the last is the
    latest, to keep as an anchor)."""
    return [checkpoint.digest for checkpoint in checkpoints if checkpoint.digest]


def _log_links_up(checkpoints, public_key):
    expected, count = LOG_GENESIS, 0
    for checkpoint in checkpoints:
        if checkpoint.prev_digest is None and checkpoint.digest is None:
            continue
        where = f"checkpoint of {checkpoint.site_id} at seq {checkpoint.seq}"
        payload = stored_payload(checkpoint)
        if payload_digest(payload) != checkpoint.digest:
            return f"{where}: does not match its digest (altered)"
        if public_key is None:
            return f"{where}: no public key to check its signature with"
        if not signature_holds(public_key, payload, checkpoint.signature):
            return f"{where}: has no valid signature (forged or altered)"
        if checkpoint.prev_digest != expected:
            removed = ("checkpoints at the start of the log were removed" if count == 0
                       else "a checkpoint before it was removed")
            return f"{where}: does not follow the checkpoint signed before it; {removed}"
        expected, count = checkpoint.digest, count + 1
    return ""
