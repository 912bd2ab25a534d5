"""The console: site owners edit their sites, auditors find and export proofs."""
from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console")


def init_app(app):
    """Bind login handling and the console's views."""
    from app.console import auth

    auth.init_app(app)


from app.console import (  # noqa: E402,F401
    views_admin,
    views_auth,
    views_history,
    views_proofs,
    views_sites,
    views_stats,
)
