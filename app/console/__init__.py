"""The console: site owners edit their sites, auditors find and export proofs."""
from app.console import (  # noqa: F401  (views register routes on bp)
    views_admin,
    views_auth,
    views_deletion,
    views_documents,
    views_exports,
    views_history,
    views_integrity,
    views_invitations,
    views_leaks,
    views_proofs,
    views_scans,
    views_screenshots,
    views_sites,
    views_stats,
    views_texts,
    views_wizard,
)
from app.console.blueprint import bp  # noqa: F401


def init_app(app):
    """Bind login handling and the console's views."""
    from app.console import auth

    auth.init_app(app)

