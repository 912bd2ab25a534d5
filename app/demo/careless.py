"""GET /demo/<site id>/careless: the demo page with Yandex.Metrica pasted outside the gate.

A careless owner pastes a counter's tag straight into the page: it starts before any choice, so
`flask sites scan` has a leak to report (see README, Scanning a site).
"""
from flask_babel import lazy_gettext as _l

from app.demo.blueprint import bp
from app.demo.views import render_demo_page
from app.sites.csp import TRACKER_SOURCES

#: The counter pasted when the site has none of its own (no real counter).
CARELESS_COUNTER = "10000001"


@bp.get("/<site_id>/careless")
def careless_page(site_id):
    """Render a site's demo page with the Yandex.Metrica tag running before any choice."""
    # The counter's hosts join the site's own policy: the site may not list them itself.
    return render_demo_page(
        site_id, "demo/careless.html",
        # i18n: headline of the demo page that loads Yandex.Metrica without asking (a leak)
        lambda _site: _l("A careless copy: Yandex.Metrica starts before any choice"),
        extra_sources=TRACKER_SOURCES["yandex_metrica"],
        counter=lambda site: (site.trackers or {}).get("yandex_metrica") or CARELESS_COUNTER)
