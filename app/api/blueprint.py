"""The Blueprint of the public JSON API; CORS per site, no CSRF (no cookies)."""
from flask import Blueprint

from app.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
