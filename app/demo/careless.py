"""GET /demo/<site id>/careless: the demo page with Yandex.Metrica pasted outside the gate.

A careless owner pastes a counter's tag straight into the page: it starts before any choice, so
`flask sites scan` has a leak to report (see README, Scanning a site).
"""
from flask import abort, g, render_template, request
from flask_babel import lazy_gettext as _l

from app.demo.blueprint import bp
from app.demo.views import DEMO_PAGE_POLICY
from app.embed import embed_snippet, embed_src, service_origin
from app.extensions import db
from app.sites.csp import TRACKER_SOURCES, csp_header, merge_csp, site_csp
from app.sites.repository import SiteRepository

#: The counter pasted when the site has none of its own (no real counter).
CARELESS_COUNTER = "10000001"


@bp.get("/<site_id>/careless")
def careless_page(site_id):
    """Render a site's demo page with the Yandex.Metrica tag running before any choice."""
    sites = SiteRepository(db.session)
    site = sites.get(site_id)
    if site is None:
        abort(404)
    g.page_languages = site.languages
    categories = sites.catalog(site.id, site.catalog_version).content
    page = render_template(
        "demo/careless.html",
        site=site,
        # i18n: headline of the demo page that loads Yandex.Metrica without asking (a leak)
        tagline=_l("A careless copy: Yandex.Metrica starts before any choice"),
        snippet=embed_snippet(request.host_url, site.id),
        embed_src=embed_src(request.host_url, site.id),
        embed_category="marketing" if "marketing" in categories else "analytical",
        counter=(site.trackers or {}).get("yandex_metrica") or CARELESS_COUNTER,
    )
    # The site's own policy, plus the counter's hosts, which the site may not list itself.
    policy = merge_csp(DEMO_PAGE_POLICY, site_csp(site, service_origin(request.host_url)),
                       TRACKER_SOURCES["yandex_metrica"])
    return page, {"Content-Security-Policy": csp_header(policy)}
