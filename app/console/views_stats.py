"""Consent statistics per site and day, drawn as server-rendered SVG, and their CSV."""
import csv
import io
from datetime import UTC, datetime, timedelta

from flask import Response, abort, render_template, request
from flask_babel import format_date
from flask_babel import gettext as _

from app.accounts.models import Role
from app.console.auth import require_proof_reader, roles_required
from app.console.blueprint import bp
from app.console.charts import bar_chart, line_chart
from app.console.forms import StatsForm
from app.extensions import db
from app.ledger.stats import SERIES, site_stats
from app.sites.repository import SiteRepository

#: The longest range one page draws.
MAX_DAYS = 366
#: The ranges offered with one click, in days up to today; "custom" takes from/to.
PRESETS = (7, 30, 90)
DEFAULT_PRESET = 30


class RangeError(Exception):
    """The range asked for is unusable; names the field."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field, self.message = field, message


def _range(form, today):
    """Return (preset or "custom", first day, last day) from a validated form."""
    preset = form.range.data or ("custom" if form.since.data or form.until.data else None)
    if preset != "custom":
        days = int(preset) if preset else DEFAULT_PRESET  # the form allows only PRESETS
        return str(days), today - timedelta(days=days - 1), today
    last = form.until.data or today
    first = form.since.data or last - timedelta(days=DEFAULT_PRESET - 1)
    if first > last:
        raise RangeError("since", _("The first day must not come after the last one."))
    if (last - first).days >= MAX_DAYS:
        raise RangeError("since", _("Choose a range of 1 to %(days)d days.", days=MAX_DAYS))
    return "custom", first, last


def _site_and_range(site_id):
    """Return (site, form, preset, first, last), or raise RangeError with the form's errors set."""
    site = SiteRepository(db.session).get(site_id) or abort(404)
    require_proof_reader(site_id)
    form = StatsForm(request.args)
    if not form.validate():
        return site, form, None, None, None
    try:
        return (site, form, *_range(form, datetime.now(UTC).date()))
    except RangeError as error:
        getattr(form, error.field).errors = [error.message]
        return site, form, None, None, None


@bp.get("/sites/<site_id>/stats")
@roles_required(Role.OWNER, Role.AUDITOR)
def stats(site_id):
    """Chart banners shown against Accept all, Reject all and custom choices, and consent rates."""
    site, form, preset, first, last = _site_and_range(site_id)
    if first is None:
        return render_template("console/stats.html", site=site, form=form, stats=None,
                               presets=PRESETS, preset="custom"), 400
    result = site_stats(db.session, site_id, first, last)
    # The axis spans the days with data only, so a burst is not a sliver of an empty month.
    span = result.span()
    labels = [format_date(day, "d MMM") for day in span]
    names = _series_names()
    charts = []
    if span:
        charts.append(bar_chart(_("Banners shown and choices per day"), labels, {
            names[key]: [result.counts(day)[key] for day in span] for key in SERIES}))
    if span and result.category_names():  # no choice made: no rate to draw
        charts.append(line_chart(_("Consent rate per category"), labels, {
            category: [result.consent_rate(day, category) for day in span]
            for category in result.category_names()}))
    return render_template("console/stats.html", site=site, form=form, stats=result, charts=charts,
                           names=names, first=first, last=last, presets=PRESETS, preset=preset,
                           days=list(reversed(result.days_with_data())))


@bp.get("/sites/<site_id>/stats.csv")
@roles_required(Role.OWNER, Role.AUDITOR)
def stats_csv(site_id):
    """Return the statistics of the days with data in a range as CSV."""
    _site, form, _preset, first, last = _site_and_range(site_id)
    if first is None:
        field, errors = next(iter(form.errors.items()))
        return {"error": {"code": "invalid_field", "field": field, "message": errors[0]}}, 400
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(
        site_stats(db.session, site_id, first, last).csv_rows())
    name = f"consent-stats-{site_id}-{first.isoformat()}-{last.isoformat()}.csv"
    # content_type, not mimetype: Flask would append a second charset to a text/ mimetype.
    return Response(out.getvalue(), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _series_names():
    return {"shown": _("Banner shown"), "accept_all": _("Accept all"),
            "reject_all": _("Reject all"), "custom": _("Custom choice")}
