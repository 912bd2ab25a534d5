"""What gunicorn's logs may say: routes, not proofs or visitors (issue 16 item 7)."""
import pytest

from app.serving_logs import mask_addresses, redact_path, redact_query, redact_target


@pytest.mark.parametrize(("target", "logged"), [
    ("/api/v1/receipts/eyJzaXRlIjoiZmxvbW5pIn0.abc.def", "/api/v1/receipts/…"),
    ("/console/records/r-123", "/console/records/…"),
    ("/console/records?consent_id=cns-1&site=flomni&subject_id=sbj-2",
     "/console/records?consent_id=…&site=flomni&subject_id=…"),
    ("/console/records?receipt=secret.sig&page=2", "/console/records?receipt=…&page=2"),
    ("/c/flomni.js", "/c/flomni.js"),
    ("/console/records?consent_id=", "/console/records?consent_id="),
])
def test_access_log_targets_keep_the_route_and_drop_the_visitor(target, logged):
    assert redact_target(target) == logged


def test_path_and_query_atoms_are_redacted_apart():
    assert redact_path("/api/v1/receipts/x.y.z") == "/api/v1/receipts/…"
    assert redact_query("subject_id=sbj-1") == "subject_id=…"
    assert redact_query("") == ""


@pytest.mark.parametrize("message", [
    "Invalid request from ip=203.0.113.7: Invalid HTTP method",
    "Error handling request from 2001:db8:85a3::8a2e:370:7334",
    "connection from ::1 closed",
])
def test_error_log_addresses_are_masked(message):
    masked = mask_addresses(message)
    assert "203.0.113.7" not in masked and "2001:db8" not in masked and "::1" not in masked
    assert "…" in masked
