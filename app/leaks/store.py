"""Count leak sightings and read them back per site and page (no Flask)."""
from dataclasses import dataclass
from itertools import groupby

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.leaks.tables import LeakSighting
from app.sites.check import Finding
from app.tables import as_utc


def record_leaks(session, report, now):
    """Add one report's sightings to the site's counts (the caller commits)."""
    dialect = session.get_bind().dialect.name
    insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(LeakSighting)
    for kind, name in report.leaks:
        statement = insert.values(site_id=report.site, page=report.page, kind=kind, name=name,
                                  first_seen=now, last_seen=now, count=1, build=report.build)
        session.execute(statement.on_conflict_do_update(
            index_elements=["site_id", "page", "kind", "name"],
            set_={"count": LeakSighting.count + 1, "last_seen": now, "build": report.build}))


@dataclass(frozen=True)
class PageLeaks:
    """A page's sightings, most recent first."""

    page: str
    sightings: list

    @property
    def last_seen(self):
        """Return when anything last leaked on the page."""
        return max(as_utc(sighting.last_seen) for sighting in self.sightings)


def site_leaks(session, site_id):
    """Return the site's sightings as PageLeaks, the page with the latest leak first."""
    rows = session.scalars(select(LeakSighting).where(LeakSighting.site_id == site_id)
                           .order_by(LeakSighting.page, LeakSighting.kind, LeakSighting.name))
    pages = [PageLeaks(page, sorted(group, key=lambda row: as_utc(row.last_seen), reverse=True))
             for page, group in groupby(rows, key=lambda row: row.page)]
    return sorted(pages, key=lambda page: page.last_seen, reverse=True)


def leak_findings(pages):
    """Return a catalog check finding per sighting: what escaped the gate, where, how often."""
    return [Finding("leak-reported",
                    f"{row.kind} {row.name} escaped the gate on {page.page}: {row.count} "
                    f"report(s), first {as_utc(row.first_seen):%Y-%m-%d %H:%M}, last "
                    f"{as_utc(row.last_seen):%Y-%m-%d %H:%M} UTC; load it through the gate")
            for page in pages for row in page.sightings]
