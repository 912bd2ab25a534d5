"""Keep scans per site and read them back, newest first (plain SQLAlchemy, no Flask)."""
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.scanner.report import dumps
from app.scanner.tables import SiteScan


@dataclass(frozen=True)
class ScanSummary:
    """A stored scan without its document: what a list of scans shows."""

    id: int
    site_id: str
    started_at: datetime
    finished_at: datetime
    build: str
    catalog_version: int
    pages: int
    leaks: int
    undeclared: int
    findings: int
    failed: bool


def save_scan(session, document):
    """Store a scan document; return its row (flushed, so it has its id)."""
    counts = document["summary"]["counts"]
    row = SiteScan(site_id=document["site_id"],
                   started_at=datetime.fromisoformat(document["started_at"]),
                   finished_at=datetime.fromisoformat(document["finished_at"]),
                   build=document["build"], catalog_version=document["catalog_version"],
                   pages=document["summary"]["pages"], leaks=counts["leak"],
                   undeclared=counts["undeclared"], findings=sum(counts.values()),
                   failed=document["summary"]["failed"], report=dumps(document))
    session.add(row)
    session.flush()
    return row


def list_scans(session, site_id, limit=50):
    """Return a site's latest scans as ScanSummary, newest first."""
    rows = session.scalars(select(SiteScan).where(SiteScan.site_id == site_id)
                           .order_by(SiteScan.started_at.desc(), SiteScan.id.desc()).limit(limit))
    return [ScanSummary(row.id, row.site_id, row.started_at, row.finished_at, row.build,
                        row.catalog_version, row.pages, row.leaks, row.undeclared, row.findings,
                        row.failed) for row in rows]


def scan_document_of(session, scan_id):
    """Return a stored scan's document, or None when there is no such scan."""
    row = session.get(SiteScan, scan_id)
    return None if row is None else json.loads(row.report)
