"""Read and write stored banner screenshots; rows are only ever inserted (no Flask)."""
import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import defer

from app.evidence.tables import BannerScreenshot

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Shot:
    """One captured layer, ready to store."""

    site_id: str
    build: str
    language: str
    texts_digest: str
    layer: str
    viewport: str
    width: int
    height: int
    captured_at: datetime
    png: bytes

    @property
    def digest(self):
        """The PNG's SHA-256, its content address."""
        return png_digest(self.png)


def png_digest(png):
    """Return the SHA-256 (hex) of PNG bytes."""
    return hashlib.sha256(png).hexdigest()


def png_size(png):
    """Return (width, height) from a PNG's header, or None when the bytes are no PNG."""
    if len(png) < 24 or not png.startswith(PNG_SIGNATURE) or png[12:16] != b"IHDR":
        return None
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def intact(row):
    """Tell whether a stored row's PNG still hashes to its digest."""
    return png_digest(row.png) == row.digest


class ScreenshotStore:
    """Banner screenshots in one SQLAlchemy session."""

    def __init__(self, session):
        self.session = session

    def store(self, shot):
        """Insert a shot unless one of the same site, build, texts, layer and viewport exists;
        return whether it was stored (concurrent captures of one build store it once)."""
        dialect = self.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(BannerScreenshot).values(
            digest=shot.digest, site_id=shot.site_id, build=shot.build, language=shot.language,
            texts_digest=shot.texts_digest, layer=shot.layer, viewport=shot.viewport,
            width=shot.width, height=shot.height, captured_at=shot.captured_at, png=shot.png,
        ).on_conflict_do_nothing(index_elements=["site_id", "build", "texts_digest", "layer",
                                                 "viewport"]).returning(BannerScreenshot.id)
        return self.session.execute(statement).scalar() is not None

    def taken(self, site_id, build, texts_digest):
        """Return the (layer, viewport) pairs already stored for one build and text set."""
        rows = self.session.execute(
            select(BannerScreenshot.layer, BannerScreenshot.viewport).where(
                BannerScreenshot.site_id == site_id, BannerScreenshot.build == build,
                BannerScreenshot.texts_digest == texts_digest))
        return {tuple(row) for row in rows}

    def of_site(self, site_id):
        """Return a site's screenshots without their bytes, newest capture first."""
        return self.session.scalars(
            select(BannerScreenshot).options(defer(BannerScreenshot.png))
            .where(BannerScreenshot.site_id == site_id)
            .order_by(BannerScreenshot.captured_at.desc(), BannerScreenshot.language,
                      BannerScreenshot.layer, BannerScreenshot.viewport)).all()

    def of_text_set(self, site_id, build, texts_digest):
        """Return the screenshots of one build showing one text set (one language), no bytes."""
        return self.session.scalars(
            select(BannerScreenshot).options(defer(BannerScreenshot.png))
            .where(BannerScreenshot.site_id == site_id, BannerScreenshot.build == build,
                   BannerScreenshot.texts_digest == texts_digest)
            .order_by(BannerScreenshot.layer, BannerScreenshot.viewport)).all()

    def with_digest(self, digest):
        """Return every stored screenshot with this digest, bytes included, oldest first."""
        return self.session.scalars(select(BannerScreenshot).where(
            BannerScreenshot.digest == digest).order_by(BannerScreenshot.id)).all()

    def check(self, site_ids=None):
        """Return (how many were checked, those whose PNG no longer hashes to its digest)."""
        statement = select(BannerScreenshot).order_by(BannerScreenshot.id)
        if site_ids is not None:
            statement = statement.where(BannerScreenshot.site_id.in_(list(site_ids)))
        count, altered = 0, []
        for batch in self.session.scalars(statement.execution_options(yield_per=64)).partitions():
            count += len(batch)
            altered += [row for row in batch if not intact(row)]
        return count, altered


def describe(row):
    """Name a stored screenshot in a message: id, site, build, language, layer and viewport."""
    return (f"banner_screenshots id {row.id} ({row.site_id}, build {row.build}, {row.language}, "
            f"{row.layer} layer, {row.viewport})")
