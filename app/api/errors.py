"""Every API failure is JSON: {"error": {"code", "message", "field"}}."""
from flask import current_app, jsonify, request
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from app.api import bp
from app.api.cors import allow_known_origin
from app.extensions import db
from app.ledger.group_commit import BatchInterrupted
from app.ledger.report import IntakeError
from app.sites.repository import SiteRepository


def error_response(status, code, message, field=None, headers=None):
    """Return a JSON error response; the banner may read refusals of its reports."""
    response = jsonify(error={"code": code, "message": message, "field": field})
    response.status_code = status
    response.headers.extend(headers or {})
    if request.endpoint in ("api.record_consent", "api.record_impression"):
        # A banner that cannot read a 4xx would take it for a network error and retry for ever.
        try:
            allow_known_origin(response, SiteRepository(db.session).list())
        except OperationalError:
            db.session.rollback()
    return response


@bp.errorhandler(IntakeError)
def intake_error(error):
    """Answer a refused report with its status and the field at fault."""
    return error_response(error.status, error.code, error.message, error.field,
                          getattr(error, "headers", None))


@bp.errorhandler(OperationalError)
@bp.errorhandler(BatchInterrupted)
def database_unavailable(_error):
    """Answer 503 when the database is locked, full or gone: never a 2xx without a stored row."""
    return error_response(503, "unavailable", "the ledger cannot store records right now; retry",
                          headers={"Retry-After": "5"})


@bp.errorhandler(IntegrityError)
def ledger_inconsistent(_error):
    """Answer 503 when the stored ledger contradicts itself (a row put past a site's head, a head
    removed): nothing is stored until an operator looks, and `ledger verify` names the cause."""
    current_app.logger.error("consent intake: the ledger contradicts itself; run flask ledger verify")
    return error_response(503, "ledger_inconsistent",
                          "the ledger cannot store records right now; retry", headers={
                              "Retry-After": "60"})


@bp.errorhandler(HTTPException)
def http_error(error):
    """Answer HTTP errors (413, 405, 404) as JSON."""
    code = "too_large" if error.code == 413 else (error.name or "error").lower().replace(" ", "_")
    field = "body" if error.code == 413 else None
    return error_response(error.code, code, error.description, field)
