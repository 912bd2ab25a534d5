"""The stored leak sightings: one row per site, page, kind and name, counted (plain SQLAlchemy)."""
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.tables import Base, Timestamp


class LeakSighting(Base):
    """A cookie, storage key or host that banners saw while its category was not granted."""

    __tablename__ = "leak_sightings"

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    #: The page's path, never its query string or fragment.
    page: Mapped[str] = mapped_column(String(300), primary_key=True)
    #: "cookie", "storage" (localStorage or sessionStorage) or "host" (a request went there).
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    first_seen: Mapped[datetime] = mapped_column(Timestamp)
    last_seen: Mapped[datetime] = mapped_column(Timestamp)
    #: How many reports named it.
    count: Mapped[int] = mapped_column(default=1)
    #: The banner build of the latest report that named it.
    build: Mapped[str] = mapped_column(String(64))
