"""GET /healthz (is this node able to serve, database included) and the home redirect."""
from flask import Blueprint, current_app, jsonify, redirect, url_for

from app.db import DatabaseUnavailable, ping_database

bp = Blueprint("health", __name__)


@bp.get("/")
def home():
    """Send visitors of the bare service to the demo pages."""
    return redirect(url_for("demo.index"))


@bp.get("/healthz")
def healthz():
    """Report 200 when the database answers, 503 when it does not."""
    try:
        ping_database()
    except DatabaseUnavailable as error:
        # The reason can name hosts; it belongs in the server log, not a public probe.
        current_app.logger.warning("health check failed: %s", error)
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
