"""The public JSON API: consent intake and receipt checks; CORS per site, no CSRF (no cookies)."""
from flask import Blueprint

from app.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

from app.api import errors, impressions, views  # noqa: E402,F401  (handlers and routes on bp)
