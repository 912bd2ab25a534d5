"""Consent statistics per site and day, drawn as server-rendered SVG."""
from datetime import UTC, datetime, timedelta

from flask import abort, render_template, request
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


@bp.get("/sites/<site_id>/stats")
@roles_required(Role.OWNER, Role.AUDITOR)
def stats(site_id):
    """Chart banners shown against Accept all, Reject all and custom choices, and consent rates."""
    site = SiteRepository(db.session).get(site_id) or abort(404)
    require_proof_reader(site_id)
    form = StatsForm(request.args)
    today = datetime.now(UTC).date()
    if not form.validate():
        return render_template("console/stats.html", site=site, form=form, stats=None), 400
    last = form.until.data or today
    first = form.since.data or last - timedelta(days=29)
    if first > last or (last - first).days >= MAX_DAYS:
        form.since.errors = [_("Choose a range of 1 to %(days)d days.", days=MAX_DAYS)]
        return render_template("console/stats.html", site=site, form=form, stats=None), 400
    result = site_stats(db.session, site_id, first, last)
    labels = [day.strftime("%m-%d") for day in result.days]
    names = _series_names()
    choices = bar_chart(_("Banners shown and choices per day"), labels, {
        names[key]: [result.by_day[day][key] for day in result.days] for key in SERIES})
    rates = line_chart(_("Consent rate per category"), labels, {
        category: [result.consent_rate(day, category) for day in result.days]
        for category in result.category_names()})
    return render_template("console/stats.html", site=site, form=form, stats=result,
                           choices_chart=choices, rates_chart=rates, names=names,
                           first=first, last=last)


def _series_names():
    return {"shown": _("Banner shown"), "accept_all": _("Accept all"),
            "reject_all": _("Reject all"), "custom": _("Custom choice")}
