"""Which pages a crawl may visit: robots.txt and same-origin links (no browser, no Flask)."""
from urllib.parse import urldefrag, urlsplit
from urllib.robotparser import RobotFileParser

#: The name robots.txt rules address the scanner by.
USER_AGENT = "ConsentGateScanner"
#: Links to files a browser downloads rather than shows: no page to scan there.
NOT_PAGES = (".pdf", ".zip", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".mp4", ".mp3",
             ".doc", ".docx", ".xls", ".xlsx", ".txt", ".xml", ".json", ".css", ".js")


def robots_rules(status, text):
    """Return the rules of a robots.txt answer, read as urllib.robotparser reads one."""
    rules = RobotFileParser()
    if status in (401, 403):
        rules.disallow_all = True
    elif not 200 <= status < 300:
        rules.allow_all = True
    else:
        rules.parse(text.splitlines())
    return rules


def robots_url(url):
    """Return the robots.txt URL of a page's origin."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


def origin_of(url):
    """Return scheme://host[:port] of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def page_links(base, hrefs):
    """Return the distinct same-origin page URLs among a page's links, without fragments."""
    origin = origin_of(base)
    found = []
    for href in hrefs:
        url = urldefrag(href).url
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or origin_of(url) != origin:
            continue
        if parts.path.lower().endswith(NOT_PAGES) or url in found:
            continue
        found.append(url)
    return found


def is_first_party(host, page_host):
    """Tell whether a request host belongs to the page's site (its host, a parent or a sibling)."""
    if not host or not page_host:
        return True
    base = page_host.removeprefix("www.")
    return host == page_host or host == base or host.endswith(f".{base}")
