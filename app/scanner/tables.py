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
