"""POST /api/v1/consents (the banner's reports) and GET /api/v1/receipts/<receipt>.

Views parse the request, call the service (app.ledger.service) with this app's collaborators,
and answer; app.api.errors maps the service's error codes to HTTP statuses.
"""
import json

from flask import current_app, jsonify, request

from app.api.blueprint import bp
from app.api.cors import allow_checked_origin, allow_known_origin
from app.api.openapi import openapi_document
from app.embed import service_base, service_urls
from app.extensions import db
from app.ledger.checkpoints import SigningKeyError, public_pem
from app.ledger.report import MAX_REPORT_BYTES, IntakeError, parse_report
from app.ledger.repository import LedgerRepository
from app.ledger.service import ClientContext, check_receipt, record_consent
from app.runtime import runtime
from app.signing import signing_key
from app.sites.repository import SiteRepository
from app.tables import utc_now


@bp.post("/consents", endpoint="record_consent", provide_automatic_options=False)
def consents():
    """Store the banner's report of a choice; answer 201 with a signed receipt."""
    request.max_content_length = MAX_REPORT_BYTES
    report = parse_report(request.get_data(cache=False))
    state = runtime()
    client = ClientContext(request.remote_addr, request.headers.get("User-Agent", ""),
                           state.ip_key, request.headers.get("Origin"),
                           service_urls(request.host_url))
    recorded = record_consent(report, client, sites=state.intake.reader(db.session),
                              ledger=state.writer.bound(db.session),
                              limiter=state.report_limiter, clock=utc_now,
                              receipts=state.receipts)
    return allow_checked_origin(_receipt_response(recorded))


def _receipt_response(recorded):
    record = recorded.record
    # Every value is an id, a hash or a number: no escaping to do, and the hot path of the intake
    # skips the general JSON provider.
    body = json.dumps({"receipt": recorded.receipt, "record_id": record.record_id,
                       "seq": record.seq, "record_hash": record.record_hash},
                      separators=(",", ":"))
    return current_app.response_class(body + "\n", status=201 if recorded.created else 200,
                                      mimetype="application/json")


@bp.route("/consents", methods=["OPTIONS"])
def consents_preflight():
    """Answer a CORS preflight: allowed when some site lists the origin; the POST checks which."""
    return allow_known_origin(current_app.response_class(status=204),
                              SiteRepository(db.session).list())


@bp.get("/receipts/<receipt>")
def receipt_view(receipt):
    """Verify a receipt; return the record, the texts shown and the subject's history."""
    return jsonify(check_receipt(receipt, ledger=LedgerRepository(db.session),
                                 receipts=runtime().receipts))


@bp.get("/openapi.json")
def openapi():
    """Describe the public API."""
    return jsonify(openapi_document(service_base(request.host_url)))


@bp.get("/ledger/public-key")
def public_key():
    """Publish the key that verifies checkpoint signatures, for auditors."""
    try:
        key = signing_key(current_app)
    except SigningKeyError:
        raise IntakeError("no_signing_key", "this service has no ledger signing key") from None
    return current_app.response_class(public_pem(key), mimetype="application/x-pem-file")
