"""Banner screenshots in an auditor's export: listed in the signed manifest, PNGs in a zip.

An export names the screenshots of the builds and text sets (one language each) its records were
given with. The manifest lists each with its digest, site, build, language, layer, viewport and
capture time, and whether its stored bytes still matched the digest; the zip holds the PNGs as
screenshots/<digest>.png, so tools/verify_export.py finds a swapped, altered or missing one.
"""
import zipfile

from sqlalchemy import select

from app.evidence.store import intact
from app.evidence.tables import BannerScreenshot
from app.ledger.search import filter_records
from app.ledger.tables import ConsentRecord

#: The folder of the zip the PNGs are in.
FOLDER = "screenshots"


def shown_banners(session, query):
    """Return the (site, build, texts digest) triples the records a query finds were given with."""
    content = ConsentRecord.content
    statement = filter_records(select(
        ConsentRecord.site_id, content["banner_build"].as_string(),
        content["texts_digest"].as_string()).distinct(), query).order_by(None)
    return sorted(tuple(row) for row in session.execute(statement))


def exported_screenshots(session, query):
    """Return the stored screenshots (bytes included) of the banners a query's records name."""
    found = []
    for site_id, build, texts_digest in shown_banners(session, query):
        found += session.scalars(select(BannerScreenshot).where(
            BannerScreenshot.site_id == site_id, BannerScreenshot.build == build,
            BannerScreenshot.texts_digest == texts_digest).order_by(
            BannerScreenshot.language, BannerScreenshot.layer, BannerScreenshot.viewport)).all()
    return found


def manifest_entries(shots):
    """Return what the manifest says of each exported screenshot."""
    return [{"digest": shot.digest, "site_id": shot.site_id, "build": shot.build,
             "language": shot.language, "texts_digest": shot.texts_digest, "layer": shot.layer,
             "viewport": shot.viewport, "width": shot.width, "height": shot.height,
             "captured_at": shot.captured_at.isoformat(), "intact": intact(shot)}
            for shot in shots]


def write_archive(shots, out):
    """Write the zip of the screenshots' PNGs (each once, by digest) to a binary file object.

    A PNG whose stored bytes no longer match its digest is left out: the manifest already says
    it was found altered.
    """
    written = set()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for shot in shots:
            if shot.digest not in written and intact(shot):
                archive.writestr(f"{FOLDER}/{shot.digest}.png", shot.png)
                written.add(shot.digest)
    return len(written)
