"""Consent statistics per site and day: banners shown, how visitors chose, consent per category."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Date, cast, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.ledger.tables import BannerImpression, ConsentRecord

#: How a first choice was made, as counted on the chart.
CHOICE_ACTIONS = {"accept_all": "accept_all", "reject_all": "reject_all",
                  "save_choices": "custom"}
SERIES = ("shown", "accept_all", "reject_all", "custom")


@dataclass
class SiteStats:
    """Counts for one site over a range of days."""

    days: list[date]
    #: day -> series -> count
    by_day: dict = field(default_factory=lambda: defaultdict(lambda: dict.fromkeys(SERIES, 0)))
    #: language -> series -> count
    by_language: dict = field(default_factory=lambda: defaultdict(lambda: dict.fromkeys(SERIES, 0)))
    #: day -> category -> [granted, decided]
    categories: dict = field(default_factory=lambda: defaultdict(dict))

    def consent_rate(self, day, category):
        """Return the share of choices that day that granted the category, or None."""
        granted, decided = self.categories.get(day, {}).get(category, (0, 0))
        return granted / decided if decided else None

    def category_names(self):
        """Return every optional category that appears in the range."""
        names = {name for counts in self.categories.values() for name in counts}
        return sorted(names - {"mandatory"})

    def days_with_data(self):
        """Return the days on which a banner was shown or a choice made, oldest first."""
        return [day for day in self.days
                if any(self.by_day.get(day, {}).values()) or self.categories.get(day)]

    def span(self):
        """Return the days from the first with data to the last with data (empty without data)."""
        with_data = self.days_with_data()
        if not with_data:
            return []
        return self.days[self.days.index(with_data[0]):self.days.index(with_data[-1]) + 1]

    def counts(self, day):
        """Return a day's counts per series (zeros for a day without data)."""
        return self.by_day.get(day) or dict.fromkeys(SERIES, 0)

    def csv_rows(self):
        """Yield the CSV of the days with data: counts per series, then each category's rate."""
        categories = self.category_names()
        yield ["day", *SERIES, *[f"consent_rate_{name}" for name in categories]]
        for day in self.days_with_data():
            rates = [self.consent_rate(day, name) for name in categories]
            yield [day.isoformat(), *[self.counts(day)[key] for key in SERIES],
                   *["" if rate is None else f"{rate:.4f}" for rate in rates]]


def count_impression(session, site_id, language, day):
    """Add one banner display to the day's counter (the caller commits)."""
    dialect = session.get_bind().dialect.name
    insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(BannerImpression)
    statement = insert.values(site_id=site_id, day=day, language=language, count=1)
    session.execute(statement.on_conflict_do_update(
        index_elements=["site_id", "day", "language"],
        set_={"count": BannerImpression.count + 1}))


def site_stats(session, site_id, first_day, last_day):
    """Return a site's statistics for the days from first_day to last_day inclusive."""
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    stats = SiteStats(days)
    for day, language, count in session.execute(
            select(BannerImpression.day, BannerImpression.language, BannerImpression.count)
            .where(BannerImpression.site_id == site_id, BannerImpression.day.between(
                first_day, last_day))):
        stats.by_day[day]["shown"] += count
        stats.by_language[language]["shown"] += count
    for day, language, action, choices in _choices(session, site_id, first_day, last_day):
        series = CHOICE_ACTIONS.get(action)
        if series is None:
            continue
        stats.by_day[day][series] += 1
        stats.by_language[language][series] += 1
        for category, granted in (choices or {}).items():
            counts = stats.categories[day].setdefault(category, [0, 0])
            counts[0] += bool(granted)
            counts[1] += 1
    return stats


def _choices(session, site_id, first_day, last_day):
    dialect = session.get_bind().dialect.name
    time = ConsentRecord.server_time
    # Days are UTC days on both databases.
    day = func.date(time) if dialect == "sqlite" else cast(func.timezone("UTC", time), Date)
    statement = select(day, ConsentRecord.content["language"].as_string(),
                       ConsentRecord.content["ui_action"].as_string(),
                       ConsentRecord.content["choices"]).where(
        ConsentRecord.site_id == site_id,
        time >= _start_of(first_day), time < _start_of(last_day + timedelta(days=1)))
    for value, language, action, choices in session.execute(
            statement.execution_options(yield_per=5000)):
        yield (date.fromisoformat(value) if isinstance(value, str) else value,
               language or "?", action, choices)


def _start_of(day):
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
