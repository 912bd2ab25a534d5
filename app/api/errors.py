"""Every API failure is JSON: {"error": {"code", "message", "field"}}."""
from flask import current_app, jsonify, request
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from app.api.blueprint import bp
from app.api.cors import allow_known_origin
from app.extensions import db
from app.ledger.group_commit import BatchInterrupted
from app.ledger.report import IntakeError
from app.sites.repository import SiteRepository

#: The HTTP status of each refusal the service and the API raise (IntakeError.code).
STATUS = {
    "invalid_json": 400, "invalid_field": 400, "invalid_receipt": 400,
    "origin_not_allowed": 403, "subject_not_proven": 403, "leak_reports_off": 403,
    "unknown_site": 404, "record_not_found": 404, "no_signing_key": 404,
    "unknown_catalog_version": 409, "unknown_texts": 409, "unknown_banner_build": 409,
    "unknown_policy_version": 409, "unknown_consent_document_version": 409,
    "event_id_reused": 409, "consent_id_reused": 409,
    "unknown_category": 422, "missing_category": 422, "mandatory_refused": 422,
    "unknown_event": 422, "unknown_ui_action": 422, "unknown_language": 422,
    "site_deleted": 410,
    "rate_limited": 429,
    "site_changing": 503,
}


def error_response(status, code, message, field=None, headers=None):
    """Return a JSON error response; the banner may read refusals of its reports."""
    response = jsonify(error={"code": code, "message": message, "field": field})
    response.status_code = status
    response.headers.extend(headers or {})
    if request.endpoint in ("api.record_consent", "api.record_impression", "api.record_leaks"):
        # A banner that cannot read a 4xx would take it for a network error and retry for ever.
        try:
            allow_known_origin(response, SiteRepository(db.session).list())
        except OperationalError:
            db.session.rollback()
    return response


@bp.errorhandler(IntakeError)
def intake_error(error):
    """Answer a refused report with its code's status and the field at fault."""
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
    return error_response(STATUS[error.code], error.code, error.message, error.field, headers)


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
