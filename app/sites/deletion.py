"""Delete a site without losing its proofs (no Flask inside).

A deleted site keeps its row, catalog versions, revisions and its whole ledger (records,
checkpoints, anchors), so `ledger verify`, the integrity page and auditors' exports still cover
it; only its banner and its intake stop, and owners no longer see it.
"""
from app.tables import utc_now


class DeletionRefused(Exception):
    """A site cannot be deleted as asked; names the field at fault."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field, self.message = field, message


def is_deleted(site):
    """Tell whether a stored site (or a snapshot of its row) has been deleted."""
    return getattr(site, "deleted_at", None) is not None


def delete_site(site, confirmation, actor, now=None):
    """Mark the site deleted by actor once confirmation repeats its id; raise DeletionRefused."""
    if is_deleted(site):
        raise DeletionRefused("site", f"site {site.id} is already deleted")
    if (confirmation or "").strip() != site.id:
        raise DeletionRefused("confirmation", f"type the site id {site.id} to confirm")
    site.deleted_at = now or utc_now()
    site.deleted_by = actor
    return site
