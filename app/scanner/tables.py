"""The stored scans of sites: one row per `flask sites scan`, never updated."""
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.tables import Base, Timestamp


class SiteScan(Base):
    """One scan of a site: when it ran, against which banner build and catalog, what it found."""

    __tablename__ = "site_scans"
    # A console page lists a site's scans newest first.
    __table_args__ = (Index("ix_site_scans_site_started", "site_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    started_at: Mapped[datetime] = mapped_column(Timestamp)
    finished_at: Mapped[datetime] = mapped_column(Timestamp)
    #: The banner build this service served when the scan ran (app.banner.bundle.gate_code).
    build: Mapped[str] = mapped_column(String(64))
    catalog_version: Mapped[int]
    pages: Mapped[int]
    leaks: Mapped[int]
    undeclared: Mapped[int]
    findings: Mapped[int]
    #: A leak or an undeclared key: the scan failed, as its exit code said.
    failed: Mapped[bool] = mapped_column(Boolean)
    #: The whole scan document (app/scanner/scan.schema.json) as JSON text.
    report: Mapped[str] = mapped_column(Text)


#: A scan job's states: waiting for a worker, being crawled, stored as a scan, or not.
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


class ScanJob(Base):
    """A scan an owner asked for in the console: its state, progress and resulting scan."""

    __tablename__ = "scan_jobs"
    __table_args__ = (Index("ix_scan_jobs_site_requested", "site_id", "requested_at"),
                      Index("ix_scan_jobs_status", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    status: Mapped[str] = mapped_column(String(10))
    #: The site's id while the job is queued or running, NULL after: unique, so a site has at
    #: most one scan under way, on every node (NULLs never collide).
    active_site: Mapped[str | None] = mapped_column(String(40), unique=True)
    requested_by: Mapped[str] = mapped_column(String(254))
    requested_at: Mapped[datetime] = mapped_column(Timestamp)
    #: The start URLs and page limit, as JSON text.
    options: Mapped[str] = mapped_column(Text)
    pages_done: Mapped[int] = mapped_column(Integer, default=0)
    pages_total: Mapped[int]
    #: Which worker claimed it (host:pid:thread) and when it last said it is alive.
    worker: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime | None] = mapped_column(Timestamp)
    heartbeat_at: Mapped[datetime | None] = mapped_column(Timestamp)
    finished_at: Mapped[datetime | None] = mapped_column(Timestamp)
    error: Mapped[str | None] = mapped_column(Text)
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("site_scans.id"))
