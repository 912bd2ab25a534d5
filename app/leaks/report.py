"""Parse a banner's leak report: what escaped the gate on one page view, nothing about the visitor.

No Flask here: the API view passes the raw body and maps IntakeError to HTTP.
"""
import re
from dataclasses import dataclass

from app.ledger.report import IntakeError, json_object

#: The largest body the API reads (413 beyond).
MAX_LEAK_REPORT_BYTES = 4096
#: The most names of one kind a report may carry.
MAX_NAMES = 50
KINDS = {"cookies": "cookie", "storage": "storage", "hosts": "host"}
FIELDS = ("site", "page", "build", *KINDS)
SITE = re.compile(r"[a-z0-9-]{2,40}")
BUILD = re.compile(r"[0-9a-f]{16}")
#: A path only: no query string, no fragment, no control characters.
PAGE = re.compile(r"/[^?#\x00-\x1f\x7f]{0,299}")
NAME = re.compile(r"[^\x00-\x1f\x7f\s;=,]{1,200}")
HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{1,63}")


@dataclass(frozen=True)
class LeakReport:
    """One page view's leaks: (kind, name) pairs, kind "cookie", "storage" or "host"."""

    site: str
    page: str
    build: str
    leaks: tuple


def parse_leak_report(raw):
    """Return the LeakReport in a raw body; raise IntakeError naming the field at fault."""
    body = json_object(raw)
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise IntakeError("invalid_field", f"{unknown[0]}: not a field of a leak report",
                          unknown[0])
    for field, pattern in (("site", SITE), ("page", PAGE), ("build", BUILD)):
        _check(body.get(field), pattern, field)
    leaks = []
    for field, kind in KINDS.items():
        names = body.get(field, [])
        if not isinstance(names, list) or len(names) > MAX_NAMES:
            raise IntakeError("invalid_field", f"{field}: must be a list of at most "
                              f"{MAX_NAMES} names", field)
        for name in names:
            _check(name, HOST if kind == "host" else NAME, field)
        leaks += [(kind, name) for name in dict.fromkeys(names)]
    if not leaks:
        raise IntakeError("invalid_field", "cookies, storage, hosts: nothing to report", "cookies")
    return LeakReport(body["site"], body["page"], body["build"], tuple(leaks))


def _check(value, pattern, field):
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise IntakeError("invalid_field", f"{field}: must match {pattern.pattern}", field)
