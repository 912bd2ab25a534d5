"""What the scanner saw on a site: plain data, filled by crawl.py and read by compare.py."""
from dataclasses import dataclass, field
from datetime import datetime

#: The three visits of every page, each in a fresh browser context: before any choice, after
#: Reject all, after Accept all.
NONE, REJECT, ACCEPT = "none", "reject", "accept"
PASSES = (NONE, REJECT, ACCEPT)
#: Passes in which anything but strictly necessary storage is a leak.
BEFORE_CONSENT = (NONE, REJECT)
COOKIE, LOCAL, SESSION = "cookie", "localStorage", "sessionStorage"


@dataclass(frozen=True)
class Seen:
    """A cookie or a storage key present at the end of one pass over one page."""

    storage: str
    name: str
    page: str
    pass_name: str
    #: Cookies only: the domain as the browser keeps it (".example.com" for a domain cookie).
    domain: str | None = None
    path: str | None = None
    #: Seconds the cookie had left when it was seen; None for a session cookie or storage key.
    lifetime: int | None = None
    http_only: bool = False
    secure: bool = False
    same_site: str | None = None
    #: The URL of the response (Set-Cookie) or of the script that wrote it, when known.
    set_by: str | None = None
    #: "response" or "script".
    set_by_kind: str | None = None
    #: The data-consent category of the owner's gated script that wrote it, when one did.
    script_category: str | None = None

    @property
    def host(self):
        """Return the cookie's domain without its leading dot."""
        return (self.domain or "").lstrip(".")


@dataclass
class PassResult:
    """One visit of one page in a fresh context."""

    page: str
    pass_name: str
    #: The banner showed (a pass that could not click it reports what it saw anyway).
    banner: bool
    items: list = field(default_factory=list)
    #: Hosts other than the page's own that the page sent requests to.
    third_party_hosts: list = field(default_factory=list)
    error: str | None = None


@dataclass
class Crawl:
    """Every pass over every page the scanner visited, and the pages it left out."""

    started_at: datetime
    finished_at: datetime | None = None
    pages: list = field(default_factory=list)
    passes: list = field(default_factory=list)
    #: (url, reason) of pages robots.txt or an error kept the scanner from.
    skipped: list = field(default_factory=list)

    def items(self):
        """Return every cookie and storage key seen, over all passes."""
        return [item for result in self.passes for item in result.items]
