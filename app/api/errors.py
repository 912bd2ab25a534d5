"""Every API failure is JSON: {"error": {"code", "message", "field"}}."""
from flask import jsonify
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from app.api import bp
from app.ledger.report import IntakeError


def error_response(status, code, message, field=None, headers=None):
    """Return a JSON error response."""
    response = jsonify(error={"code": code, "message": message, "field": field})
    response.status_code = status
    response.headers.extend(headers or {})
    return response


@bp.errorhandler(IntakeError)
def intake_error(error):
    """Answer a refused report with its status and the field at fault."""
    return error_response(error.status, error.code, error.message, error.field,
                          getattr(error, "headers", None))


@bp.errorhandler(OperationalError)
def database_unavailable(_error):
    """Answer 503 when the database is locked, full or gone: never a 2xx without a stored row."""
    return error_response(503, "unavailable", "the ledger cannot store records right now; retry",
                          headers={"Retry-After": "5"})


@bp.errorhandler(HTTPException)
def http_error(error):
    """Answer HTTP errors (413, 405, 404) as JSON."""
    code = "too_large" if error.code == 413 else (error.name or "error").lower().replace(" ", "_")
    field = "body" if error.code == 413 else None
    return error_response(error.code, code, error.description, field)
