"""GET /healthz: is this node able to serve, database included."""
from flask import Blueprint, jsonify

from app.db import DatabaseUnavailable, ping_database

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Report 200 when the database answers, 503 when it does not."""
    try:
        ping_database()
    except DatabaseUnavailable:
        # The reason can name hosts; it belongs in the server log, not a public probe.
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
