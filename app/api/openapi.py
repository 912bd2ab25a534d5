"""The OpenAPI 3.1 description of the public API, with the report schema taken from the model."""
from app.ledger.report import EVENTS, UI_ACTIONS, ConsentReport


def _error(description):
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _report_schema():
    schema = ConsentReport.model_json_schema(ref_template="#/components/schemas/{model}")
    schema["properties"]["event"]["enum"] = list(EVENTS)
    schema["properties"]["ui_action"]["enum"] = list(UI_ACTIONS)
    return schema


def openapi_document(server_url):
    """Return the OpenAPI document for this service."""
    receipt_param = {"name": "receipt", "in": "path", "required": True,
                     "schema": {"type": "string", "maxLength": 2000}}
    report_body = {"required": True, "content": {
        media: {"schema": {"$ref": "#/components/schemas/ConsentReport"}}
        for media in ("application/json", "text/plain")}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Consent Gate API", "version": "1",
                 "description": "Consent intake for the banner, and receipt checks for visitors "
                                "and auditors."},
        "servers": [{"url": server_url}],
        "paths": {
            "/api/v1/consents": {"post": {
                "summary": "Record a consent choice reported by the banner",
                "operationId": "recordConsent",
                "requestBody": report_body,
                "responses": {
                    "201": {"description": "Stored; the receipt proves it",
                            "content": {"application/json": {
                                "schema": {"$ref": "#/components/schemas/Stored"}}}},
                    "200": {"description": "A retry of a report already stored",
                            "content": {"application/json": {
                                "schema": {"$ref": "#/components/schemas/Stored"}}}},
                    "400": _error("Malformed JSON or field"),
                    "403": _error("Origin not allowed for the site (origin_not_allowed), or a "
                                  "report for a known subject without the secret its first "
                                  "report carried (subject_not_proven)"),
                    "404": _error("Unknown site"),
                    "410": _error("The site was deleted (site_deleted)"),
                    "409": _error("Unknown catalog version, texts, banner build, privacy policy "
                                  "or consent document version, or an event_id reused for "
                                  "another event"),
                    "413": _error("Body too large"),
                    "422": _error("Unknown category, event or UI action"),
                    "429": _error("Rate limited"),
                    "503": _error("The ledger cannot store records right now"),
                }}},
            "/api/v1/impressions": {"post": {
                "summary": "Count one display of the banner's first layer",
                "operationId": "recordImpression",
                "requestBody": {"required": True, "content": {"text/plain": {"schema": {
                    "type": "object", "required": ["site", "language"],
                    "properties": {
                        "site": {"type": "string", "pattern": "^[a-z0-9-]{2,40}$"},
                        "language": {"type": "string",
                                     "pattern": "^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8}){0,2}$"}}}}}},
                "responses": {
                    "204": {"description": "Counted"},
                    "400": _error("Malformed JSON or field"),
                    "403": _error("Origin not allowed for the site"),
                    "404": _error("Unknown site"),
                    "410": _error("The site was deleted (site_deleted)"),
                    "413": _error("Body too large"),
                    "422": _error("Not a language of the site"),
                    "429": _error("Rate limited"),
                }}},
            "/api/v1/leaks": {"post": {
                "summary": "Count what a sampled page view saw escape the gate",
                "operationId": "recordLeaks",
                "requestBody": {"required": True, "content": {"text/plain": {"schema": {
                    "type": "object", "required": ["site", "page", "build"],
                    "additionalProperties": False,
                    "properties": {
                        "site": {"type": "string", "pattern": "^[a-z0-9-]{2,40}$"},
                        "page": {"type": "string", "description": "the page's path only",
                                 "pattern": "^/[^?#\\x00-\\x1f\\x7f]{0,299}$"},
                        "build": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
                        **{field: {"type": "array", "maxItems": 50, "items": {"type": "string"}}
                           for field in ("cookies", "storage", "hosts")}}}}}},
                "responses": {
                    "204": {"description": "Counted"},
                    "400": _error("Malformed JSON or field, or nothing to report"),
                    "403": _error("Origin not allowed for the site, or leak reports off"),
                    "404": _error("Unknown site"),
                    "410": _error("The site was deleted (site_deleted)"),
                    "413": _error("Body too large"),
                    "429": _error("Rate limited"),
                }}},
            "/api/v1/receipts/{receipt}": {"get": {
                "summary": "Verify a receipt and show its record, texts and history",
                "operationId": "checkReceipt",
                "parameters": [receipt_param],
                "responses": {
                    "200": {"description": "The record behind the receipt",
                            "content": {"application/json": {
                                "schema": {"$ref": "#/components/schemas/Receipt"}}}},
                    "400": _error("Forged or altered receipt"),
                    "404": _error("Record no longer in the ledger"),
                }}},
            "/documents/{site}/{kind}/{language}": {"get": {
                "summary": "The legal text a site's visitors in a language are pointed to now",
                "operationId": "currentDocument",
                "parameters": [_path_param(name) for name in ("site", "kind", "language")],
                "responses": {
                    "200": _document_response(),
                    "404": _error("Unknown site, kind (policy, consent) or language, or no "
                                  "stored text of the kind"),
                    "409": _error("The stored text no longer matches its digest"),
                }}},
            "/documents/{digest}": {"get": {
                "summary": "One stored legal text by the SHA-256 of its bytes (immutable)",
                "operationId": "documentByDigest",
                "parameters": [_path_param("digest")],
                "responses": {"200": _document_response(),
                              "404": _error("No stored text has this digest"),
                              "409": _error("The stored text no longer matches its digest")}}},
            "/api/v1/ledger/public-key": {"get": {
                "summary": "The Ed25519 public key that verifies checkpoint signatures",
                "operationId": "ledgerPublicKey",
                "responses": {
                    "200": {"description": "PEM public key",
                            "content": {"application/x-pem-file": {"schema": {"type": "string"}}}},
                    "404": _error("No signing key configured"),
                }}},
        },
        "components": {"schemas": {
            "ConsentReport": _report_schema(),
            "Stored": {"type": "object", "required": ["receipt", "record_id", "seq",
                                                      "record_hash"],
                       "properties": {"receipt": {"type": "string"},
                                      "record_id": {"type": "string"},
                                      "seq": {"type": "integer"},
                                      "record_hash": {"type": "string"}}},
            "Receipt": {"type": "object", "required": ["record", "verified", "texts", "history"],
                        "properties": {
                            "record": {"type": "object", "properties": {
                                "policy_version": {"type": "string"},
                                "consent_document_version": {"type": ["string", "null"]},
                                "policy_digest": DIGEST_OR_NULL,
                                "consent_document_digest": DIGEST_OR_NULL,
                                "texts_digest": {"type": "string"},
                                "record_hash": {"type": "string"}}},
                            "verified": {"type": "boolean"},
                            "texts": {"type": ["object", "null"]},
                            "history": {"type": "array", "items": {"type": "object"}}}},
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message", "field"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                               "field": {"type": ["string", "null"]}}}}},
        }},
    }


#: A legal text's SHA-256 (of the bytes /documents/{digest} serves), or null for a url only.
DIGEST_OR_NULL = {"type": ["string", "null"], "pattern": "^[0-9a-f]{64}$"}


def _path_param(name):
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _document_response():
    return {"description": "The text, exactly the bytes its digest covers",
            "content": {"text/plain": {"schema": {"type": "string"}}}}
