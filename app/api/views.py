"""POST /api/v1/consents (the banner's reports) and GET /api/v1/receipts/<receipt>."""
import hashlib
import json

from flask import current_app, jsonify, request
from sqlalchemy.orm import Session

from app.api import bp
from app.api.cors import allow_checked_origin, allow_known_origin
from app.api.limits import within_limits
from app.api.openapi import openapi_document
from app.banner.bundle import gate_code
from app.extensions import db
from app.ledger.append import SiteChanged
from app.ledger.checkpointing import CheckpointPolicy, sign_when_due
from app.ledger.checkpoints import SigningKeyError, public_pem
from app.ledger.client import anonymize_ip
from app.ledger.group_commit import GroupCommitter
from app.ledger.locks import write_lock
from app.ledger.proof import ReceiptError, chain_hash, read_receipt, receipt_serializer
from app.ledger.report import MAX_REPORT_BYTES, IntakeError, parse_report
from app.ledger.repository import LedgerRepository
from app.ledger.service import ClientContext, IntakeCache, check_report, record_consent
from app.signing import signing_key
from app.sites.origins import is_allowed_origin
from app.sites.repository import SiteRepository

#: A report checked against a site that changed before its record was appended is checked again
#: against the new settings, this many times at most.
CHECK_ATTEMPTS = 3


@bp.post("/consents", endpoint="record_consent", provide_automatic_options=False)
def consents():
    """Store the banner's report of a choice; answer 201 with a signed receipt."""
    request.max_content_length = MAX_REPORT_BYTES
    report = parse_report(request.get_data(cache=False))
    cache = _intake_cache()
    service_url = request.host_url
    client = ClientContext(request.remote_addr, request.headers.get("User-Agent", ""), cache.ip_key)
    rated = False
    for attempt in range(CHECK_ATTEMPTS):
        site = cache.site(db.session, report.site, refresh=attempt > 0)
        try:
            catalog = _check_against_site(report, site, cache, service_url)
        except IntakeError:
            # Settings kept in memory may be older than the row: refuse on current ones only.
            if site is None or attempt > 0 or cache.is_current(db.session, site):
                raise
            continue
        if not rated:
            _check_rate(site)
            rated = True
        try:
            record, created, receipt = record_consent(report, site, catalog, _append, client,
                                                      cache.serializer)
        except SiteChanged:
            continue
        return allow_checked_origin(_receipt_response(record, receipt, created))
    raise IntakeError(503, "site_changing", "the site's settings are being changed; retry", None)


def _check_against_site(report, site, cache, service_url):
    if site is None:
        raise IntakeError(404, "unknown_site", f"no site {report.site!r}", "site")
    if not is_allowed_origin(request.headers.get("Origin"), site.origins, service_url):
        raise IntakeError(403, "origin_not_allowed", "this origin may not report for the site",
                          "origin")
    return check_report(report, site, db.session, cache)


def _receipt_response(record, receipt, created):
    # Every value is an id, a hash or a number: no escaping to do, and the hot path of the intake
    # skips the general JSON provider.
    body = json.dumps({"receipt": receipt, "record_id": record.record_id, "seq": record.seq,
                       "record_hash": record.record_hash}, separators=(",", ":"))
    return current_app.response_class(body + "\n", status=201 if created else 200,
                                      mimetype="application/json")


@bp.route("/consents", methods=["OPTIONS"])
def consents_preflight():
    """Answer a CORS preflight: allowed when some site lists the origin; the POST checks which."""
    return allow_known_origin(current_app.response_class(status=204),
                              SiteRepository(db.session).list())


@bp.get("/receipts/<receipt>")
def receipt_view(receipt):
    """Verify a receipt; return the record, the texts shown and the subject's history."""
    try:
        site_id, record_id, record_hash = read_receipt(
            receipt_serializer(current_app.secret_key), receipt)
    except ReceiptError as error:
        raise IntakeError(400, "invalid_receipt", str(error), "receipt") from None
    ledger = LedgerRepository(db.session)
    record = ledger.by_record_id(record_id)
    if record is None or record.site_id != site_id:
        raise IntakeError(404, "record_not_found",
                          "the record is no longer in the ledger (retention may have purged it)",
                          "receipt")
    intact = (record.record_hash == record_hash and
              chain_hash(record.prev_hash, record.content) == record_hash)
    texts = ledger.text_set(record.content["texts_digest"])
    history = [{"record_id": r.record_id, "seq": r.seq, "event": r.event,
                "server_time": r.content["server_time"], "choices": r.content["choices"]}
               for r in ledger.history(site_id, record.subject_id)]
    return jsonify(record={**record.content, "prev_hash": record.prev_hash,
                           "record_hash": record.record_hash},
                   verified=intact, texts=texts.content if texts else None, history=history)


@bp.get("/openapi.json")
def openapi():
    """Describe the public API."""
    return jsonify(openapi_document(request.host_url.rstrip("/")))


@bp.get("/ledger/public-key")
def public_key():
    """Publish the key that verifies checkpoint signatures, for auditors."""
    try:
        key = signing_key(current_app)
    except SigningKeyError:
        raise IntakeError(404, "no_signing_key", "this service has no ledger signing key") from None
    return current_app.response_class(public_pem(key), mimetype="application/x-pem-file")


def _append(site_id, event_id, content, site_stamp):
    committer = current_app.extensions.get("consent_gate.committer")
    if committer is None:
        committer = current_app.extensions.setdefault("consent_gate.committer",
                                                      GroupCommitter(write_lock))
    return committer.append(db.session, site_id, event_id, content, _checkpoint_when_due,
                            site_stamp)


def _checkpoint_when_due(connection, site_id, appended):
    policy = checkpoint_policy(current_app)
    if not policy.due(site_id, appended.record.seq, lambda: _last_signed_at(connection, site_id)):
        return
    # A session inside the batch's transaction: it flushes there and commits nothing itself.
    with Session(bind=connection) as session:
        try:
            sign_when_due(LedgerRepository(session), policy, site_id, appended.record.seq,
                          signing_key(current_app))
        except SigningKeyError as error:
            # Records are still chained and committed; only the periodic signature is missing.
            current_app.logger.warning("checkpoint skipped: %s", error)


def _last_signed_at(connection, site_id):
    with Session(bind=connection) as session:
        return LedgerRepository(session).last_signed_at(site_id)


def checkpoint_policy(app):
    """Return the app's checkpoint policy: when each site is due for a signed checkpoint."""
    policy = app.extensions.get("consent_gate.checkpoint_policy")
    if policy is None:
        policy = app.extensions.setdefault("consent_gate.checkpoint_policy",
                                           CheckpointPolicy(app.config))
    return policy


def _intake_cache():
    cache = current_app.extensions.get("consent_gate.intake")
    if cache is None or cache.secret_key != current_app.secret_key:
        cache = IntakeCache()
        # The build this code serves counts as served even before any banner was fetched from
        # it, so reports from pages loaded before a restart still go through.
        cache.builds.add(gate_code()[2])
        cache.secret_key = current_app.secret_key
        cache.serializer = receipt_serializer(current_app.secret_key)
        # A key of its own, derived from the secret, so IP hashes cannot be matched across services.
        cache.ip_key = hashlib.sha256(b"consent-gate.ip:" + current_app.secret_key.encode()).digest()
        current_app.extensions["consent_gate.intake"] = cache
    return cache


def _check_rate(site):
    config = current_app.config
    client_key = anonymize_ip(request.remote_addr, "truncate", b"") or "unknown"
    wait = within_limits(client_key, site.id, config["RATE_LIMIT_CLIENT"],
                         config["RATE_LIMIT_SITE"])
    if wait:
        error = IntakeError(429, "rate_limited", "too many reports; retry later", None)
        error.headers = {"Retry-After": str(wait)}
        raise error
