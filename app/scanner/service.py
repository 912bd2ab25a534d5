"""Run one scan of a stored site and keep it: crawl, compare, store (plain SQLAlchemy, no Flask).

The CLI's `sites scan` and the console's scan jobs both come here, so a scan is the same
document whichever started it.
"""
from app.banner.bundle import gate_code
from app.scanner.compare import compare_site
from app.scanner.crawl import CrawlOptions, crawl
from app.scanner.report import scan_document
from app.scanner.store import save_scan
from app.sites.catalog import catalog_from_document
from app.sites.repository import SiteRepository


class NothingScanned(Exception):
    """Every start page was skipped (robots.txt, not HTML); the message lists them."""


def default_start_urls(site):
    """Return the pages a scan of a site starts from: its origins' home pages."""
    return tuple(f"{origin}/" for origin in site.origins)


def scan_site(session, site_id, options, crawler=crawl):
    """Crawl a site with CrawlOptions, compare with its current catalog, store the scan.

    Returns (document, row); raises NothingScanned, or what the crawler raises (ChromiumMissing,
    ScanFailed). crawler is crawl.crawl, or a stand-in of the same shape.
    """
    seen = crawler(options)
    if not seen.pages:
        reasons = "; ".join(f"{url}: {reason}" for url, reason in seen.skipped)
        raise NothingScanned(f"no page of {site_id} could be scanned ({reasons or 'no pages'})")
    repository = SiteRepository(session)
    site = repository.get(site_id)
    catalog_version = repository.catalog(site.id, site.catalog_version)
    catalog = catalog_from_document(catalog_version.content)
    document = scan_document(site.id, gate_code()[2], catalog_version.version, seen,
                             compare_site(site, catalog, seen))
    return document, save_scan(session, document)


__all__ = ["CrawlOptions", "NothingScanned", "default_start_urls", "scan_site"]
