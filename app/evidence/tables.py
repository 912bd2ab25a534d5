"""The stored screenshots of banner builds: PNG bytes under their SHA-256, never updated."""
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.tables import Base, Timestamp, utc_now

LAYERS = ("first", "settings")
#: Viewport name -> (width, height, is a phone) in CSS pixels, at device scale 1.
VIEWPORTS = {"desktop": (1280, 800, False), "phone": (390, 844, True)}


class BannerScreenshot(Base):
    """One layer of one site's banner, in one build, language and viewport, as Chromium drew it."""

    __tablename__ = "banner_screenshots"
    __table_args__ = (
        UniqueConstraint("site_id", "build", "texts_digest", "layer", "viewport",
                         name="uq_banner_screenshots_shot"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: SHA-256 (hex) of png: the address it is served and exported under.
    digest: Mapped[str] = mapped_column(String(64), index=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    build: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(12))
    texts_digest: Mapped[str] = mapped_column(String(64))
    layer: Mapped[str] = mapped_column(String(10))
    viewport: Mapped[str] = mapped_column(String(10))
    width: Mapped[int]
    height: Mapped[int]
    captured_at: Mapped[datetime] = mapped_column(Timestamp, default=utc_now)
    png: Mapped[bytes] = mapped_column(LargeBinary)
