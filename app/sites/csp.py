"""The Content-Security-Policy sources a site needs for the banner and its trackers (no Flask).

The banner needs the service in script-src (the embed script and its deferred part) and
connect-src (consent reports, impression counts). It injects no inline script or style: its CSS
lives in constructed stylesheets (adoptedStyleSheets), which style-src does not govern, so it
needs nothing there. Every tracker's hosts come from its vendor's documentation (see
shared/reference/trackers-and-law.md §§1.7, 2.7, 3.4), and only the trackers the gate may load
are listed: a tracker held back on a ru152 site gets no hosts.
"""
from app.sites.trackers import site_loadable_trackers

#: The directives, in the order they are printed.
DIRECTIVES = ("script-src", "connect-src", "img-src", "frame-src", "style-src")

TRACKER_SOURCES = {
    # https://yandex.com/support/metrica/en/code/install-counter-csp : tag.js from mc.yandex.ru,
    # hits to mc.yandex.ru / mc.yandex.com (the noscript pixel too), yastatic.net for the in-page
    # UI, wss:// for Webvisor. The page lists one mc.yandex.<tld> per country; these are the two
    # a counter reaches from Russia and from elsewhere.
    "yandex_metrica": {
        "script-src": ("https://mc.yandex.ru", "https://yastatic.net"),
        "connect-src": ("https://mc.yandex.ru", "https://mc.yandex.com", "wss://mc.yandex.ru"),
        "img-src": ("https://mc.yandex.ru", "https://mc.yandex.com"),
        "frame-src": ("https://mc.yandex.ru", "https://mc.yandex.com"),
    },
    # https://developers.google.com/tag-platform/security/guides/csp#google_analytics_4_google_analytics
    "ga4": {
        "script-src": ("https://*.googletagmanager.com",),
        "connect-src": ("https://*.google-analytics.com", "https://*.analytics.google.com",
                        "https://*.googletagmanager.com"),
        "img-src": ("https://*.google-analytics.com", "https://*.googletagmanager.com"),
    },
    # Meta's pixel loads connect.facebook.net/en_US/fbevents.js and reports to
    # www.facebook.com/tr (https://developers.facebook.com/docs/meta-pixel/get-started; the
    # hosts as trackers-and-law.md §3.4 lists them).
    "meta_pixel": {
        "script-src": ("https://connect.facebook.net",),
        "connect-src": ("https://www.facebook.com",),
        "img-src": ("https://www.facebook.com",),
    },
}


def site_csp(site, service_origin):
    """Return {directive: [sources]} the banner and the site's loadable trackers need."""
    needed = {"script-src": [service_origin], "connect-src": [service_origin]}
    for name in site_loadable_trackers(site):
        for directive, sources in TRACKER_SOURCES[name].items():
            needed.setdefault(directive, []).extend(sources)
    return {directive: list(dict.fromkeys(needed[directive]))
            for directive in DIRECTIVES if directive in needed}


def merge_csp(*policies):
    """Return the union of several {directive: [sources]} policies, directives in order."""
    merged = {}
    for policy in policies:
        for directive, sources in policy.items():
            merged.setdefault(directive, []).extend(sources)
    order = [*DIRECTIVES, *(d for d in merged if d not in DIRECTIVES)]
    return {directive: list(dict.fromkeys(merged[directive]))
            for directive in order if directive in merged}


def csp_lines(policy):
    """Return a policy as the lines an owner adds to their header: one directive per line."""
    return [f"{directive} {' '.join(sources)};" for directive, sources in policy.items()]


def csp_header(policy):
    """Return a policy as one Content-Security-Policy header value."""
    return "; ".join(f"{directive} {' '.join(sources)}".strip()
                     for directive, sources in policy.items())
