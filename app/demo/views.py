"""GET /demo/ and /demo/<site id>."""
from flask import abort, current_app, g, render_template, request
from flask_babel import lazy_gettext as _l

from app.demo.blueprint import bp
from app.embed import embed_snippet, embed_src, service_origin
from app.extensions import db
from app.sites.csp import csp_header, merge_csp, site_csp
from app.sites.repository import SiteRepository

#: What each sample operator does, shown as the page's headline.
TAGLINES = {
    # i18n: headline of the Flomni demo page (an omnichannel customer-service platform)
    "flomni": _l("One inbox for every customer conversation"),
    # i18n: headline of the oomnis demo page (a business software vendor)
    "oomnis": _l("Software that keeps your business running"),
    # i18n: headline of the Familami demo page (a marketplace of family-run shops)
    "familami": _l("A marketplace of small family shops"),
    # i18n: headline of the SENS demo page (a dating app)
    "sens": _l("Meet people who share your interests"),
    # i18n: headline of the Loginom demo page (a data-analysis platform)
    "loginom": _l("Low-code analytics for everyone"),
}


@bp.get("/")
def index():
    """List the demo pages."""
    return render_template("demo/index.html", sites=SiteRepository(db.session).list())


@bp.get("/<site_id>")
def page(site_id):
    """Render a small page of the operator that embeds the service."""
    return render_demo_page(site_id, "demo/page.html", lambda site: TAGLINES.get(site.id, site.name))


def render_demo_page(site_id, template, tagline, extra_sources=None, **context):
    """Render one of a site's demo pages with its policy; tagline(site) gives the headline,
    extra_sources what the page loads beyond what the site lists itself."""
    sites = SiteRepository(db.session)
    site = sites.get(site_id)
    if site is None:
        abort(404)
    g.page_languages = site.languages
    categories = sites.catalog(site.id, site.catalog_version).content
    page = render_template(
        template,
        site=site,
        tagline=tagline(site),
        snippet=embed_snippet(request.host_url, site.id),
        embed_src=embed_src(request.host_url, site.id),
        embed_category="marketing" if "marketing" in categories else "analytical",
        **{name: value(site) for name, value in context.items()},
    )
    policy = demo_csp(site, request.host_url, sandboxed=not current_app.config["DEMO_URL"],
                      extra_sources=extra_sources)
    return page, {"Content-Security-Policy": policy}


#: The demo operator's own page: its scripts, styles, images and frames, nothing inline.
DEMO_PAGE_POLICY = {
    "default-src": ["'self'"], "script-src": ["'self'"], "connect-src": ["'self'"],
    "img-src": ["'self'", "data:"], "frame-src": ["'self'"], "style-src": ["'self'"],
    "frame-ancestors": ["'self'"], "base-uri": ["'none'"], "form-action": ["'self'"],
}


#: Without a demo host of their own, the pages run in an opaque origin: their trackers cannot
#: read or send the console's cookies (nor can the banner remember a choice there).
SANDBOX = {"sandbox": ["allow-scripts"]}


def demo_csp(site, request_base_url, sandboxed=False, extra_sources=None):
    """Return the demo page's policy: its own, plus exactly what `flask sites csp` prints (and
    extra_sources); sandboxed when the demo pages have no host of their own (CONSENT_DEMO_URL)."""
    policy = merge_csp(DEMO_PAGE_POLICY, site_csp(site, service_origin(request_base_url)),
                       extra_sources or {})
    return csp_header(merge_csp(policy, SANDBOX) if sandboxed else policy)
