"""Gunicorn's logs without personal data: no receipt, subject or consent id, no raw client IP.

A receipt in a URL proves a visitor's consent to whoever holds it, and subject and consent ids
single a visitor out; access logs travel to log systems with looser access than the ledger. The
access log keeps the route and replaces those parts with "…"; the error log masks addresses.
"""
import logging
import re
from urllib.parse import unquote_plus

from gunicorn.glogging import Logger

REDACTED = "…"
#: Path segments that identify a visitor or a proof, after the route's fixed part.
SECRET_PATHS = (
    re.compile(r"^(/api/v1/receipts/)[^/?]+"),
    re.compile(r"^(/console/records/)[^/?]+"),
)
#: Query parameters that identify a visitor or a proof (the console's search, exports).
SECRET_PARAMETERS = frozenset({"receipt", "consent_id", "subject_id", "record_id", "anchor",
                               "event_id"})
IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
IPV6 = re.compile(r"\b(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{0,4}\b|::1\b")


def redact_path(path):
    """Return a URL path with its proof or visitor segment replaced by "…"."""
    for pattern in SECRET_PATHS:
        path = pattern.sub(lambda match: match.group(1) + REDACTED, path)
    return path


def redact_query(query):
    """Return a query string with the values of identifying parameters replaced by "…"."""
    parts = []
    for part in query.split("&") if query else []:
        name, has_value, value = part.partition("=")
        if unquote_plus(name) in SECRET_PARAMETERS and value:
            value = REDACTED
        parts.append(f"{name}{has_value}{value}")
    return "&".join(parts)


def redact_target(target):
    """Return a request target (path and query) with identifying parts replaced."""
    path, _, query = target.partition("?")
    return redact_path(path) + (f"?{redact_query(query)}" if query else "")


def mask_addresses(text):
    """Return text with every IPv4 and IPv6 address replaced by "…"."""
    return IPV6.sub(REDACTED, IPV4.sub(REDACTED, text))


class AddressFilter(logging.Filter):
    """Mask client addresses in a log record's message (gunicorn names them on bad requests)."""

    def filter(self, record):
        record.msg = mask_addresses(record.getMessage())
        record.args = ()
        return True


class RedactingLogger(Logger):
    """Gunicorn's logger, with the access log redacted and the error log's addresses masked."""

    def setup(self, cfg):
        super().setup(cfg)
        self.error_log.addFilter(AddressFilter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path, query = environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")
        target = redact_target(f"{path}?{query}" if query else path)
        atoms["U"] = redact_path(path)
        atoms["q"] = redact_query(query)
        atoms["r"] = f"{environ.get('REQUEST_METHOD', '-')} {target} {environ.get('SERVER_PROTOCOL', '-')}"
        # The same values reach the format through environ atoms ({raw_uri}e) and headers too.
        atoms.update({"{path_info}e": atoms["U"], "{query_string}e": atoms["q"],
                      "{raw_uri}e": target})
        for key in ("h", "{remote_addr}e", "{x-forwarded-for}i", "{x-real-ip}i"):
            atoms[key] = REDACTED
        return atoms
