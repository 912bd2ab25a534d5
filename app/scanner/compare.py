"""Compare what a scan saw with the site's catalog: observations x catalog -> findings (pure)."""
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlsplit

from app.scanner.observations import ACCEPT, BEFORE_CONSENT, COOKIE, NONE, PASSES, REJECT
from app.scanner.suggestions import (
    TRACKER_CATEGORIES,
    VENDOR_HOSTS,
    known_key,
    lifetime_text,
    suggest,
    vendor_of,
)
from app.sites.catalog import describe_pattern, find_item, item_matches, tracker_categories
from app.sites.gate_storage import gate_key_for
from app.sites.lifetimes import SESSION, lifetime_delta
from app.sites.schema import StorageKind
from app.sites.trackers import site_loadable_trackers

#: Finding codes, most serious first; leaks and undeclared items fail a scan.
CODES = ("leak", "undeclared", "wrong-category", "cannot-clear", "lifetime", "not-seen")
FAILING = ("leak", "undeclared")
#: A cookie may outlive its declared lifetime by this share (a month is 30 days, a year 365).
LIFETIME_SLACK = 0.05
REQUEST = "request"


@dataclass(frozen=True)
class ScanFinding:
    """One problem a scan found with one key (or one request host)."""

    code: str
    storage: str
    name: str
    message: str
    passes: tuple = ()
    #: The catalog item that covers the key, as the owner wrote it, and its category.
    declared: str | None = None
    category: str | None = None
    #: A catalog entry that would fix it (app.scanner.suggestions.Suggestion), or None.
    suggestion: object = None


def compare(crawl, catalog, gate_categories=None):
    """Return the findings of a crawl against a catalog, most serious first.

    gate_categories maps each built-in tracker the gate loads to the category it waits for
    (app.sites.catalog.tracker_categories); a key its script writes belongs there.
    """
    groups = defaultdict(list)
    for seen in crawl.items():
        groups[(seen.storage, seen.name)].append(seen)
    findings = [finding for (storage, name), seen in sorted(groups.items())
                for finding in _key_findings(storage, name, seen, catalog, gate_categories or {})]
    findings += _request_leaks(crawl)
    findings += _not_seen(catalog, groups)
    return sorted(findings, key=lambda finding: CODES.index(finding.code))


def failed(findings):
    """Tell whether a scan's findings should fail a CI run (a leak or an undeclared key)."""
    return any(finding.code in FAILING for finding in findings)


def _key_findings(storage, name, seen, catalog, gate_categories):
    gate_key = gate_key_for(name)
    if gate_key is not None and gate_key.storage.value == storage:
        return  # the service declares its own storage on every site
    passes = tuple(p for p in PASSES if any(item.pass_name == p for item in seen))
    found = find_item(catalog, name, StorageKind(storage))
    writer = next((item for item in seen if item.set_by), seen[0])
    longest = _longest(seen)
    suggestion = suggest(storage, name, longest, writer.set_by, writer.script_category,
                         before_consent=any(p in BEFORE_CONSENT for p in passes))
    category, item = found if found else (suggestion.category, None)
    context = dict(storage=storage, name=name, passes=passes, category=category,
                   declared=describe_pattern(item) if item else None)
    label = _label(storage, name)
    early = [p for p in passes if p in BEFORE_CONSENT]
    if category != "mandatory" and early:
        yield ScanFinding("leak", message=f"{category} {label} is set {_when(early)}",
                          suggestion=None if found else suggestion, **context)
    if not found:
        yield ScanFinding("undeclared", message=f"{label} is set {_when(passes)}; no catalog item "
                          f"declares it{_near_miss(catalog, name, storage)}",
                          suggestion=suggestion, **context)
        return
    wrong = _wrong_category(name, storage, category, writer, gate_categories)
    if wrong:
        yield ScanFinding("wrong-category", message=f"{label} is declared {category} "
                          f"({describe_pattern(item)}), {wrong}",
                          suggestion=suggestion, **context)
    if storage == COOKIE:
        yield from _cookie_findings(label, item, seen, longest, suggestion, context)


def _cookie_findings(label, item, seen, longest, suggestion, context):
    lifetime = _lifetime_problem(item.lifetime, longest)
    if lifetime:
        yield ScanFinding("lifetime", message=f"{label} {lifetime}", suggestion=suggestion,
                          **context)
    foreign = sorted({item.domain for item in seen if not _clearable(item)})
    if foreign:
        yield ScanFinding("cannot-clear", message=f"{label} lives on {', '.join(foreign)}; the site "
                          "cannot delete it on withdrawal (only the visitor can)", **context)


def _wrong_category(name, storage, category, writer, gate_categories):
    known = known_key(storage, name)
    if known and known.category != category:
        return f"but it is {known.provider}'s {known.category} {_kind(storage)}"
    vendor = vendor_of(writer.set_by)
    script_category = writer.script_category or (
        gate_categories.get(vendor[0], TRACKER_CATEGORIES[vendor[0]]) if vendor else None)
    if script_category and script_category != category:
        return f"but a script of the {script_category} category ({writer.set_by}) sets it"
    return None


def _lifetime_problem(declared, longest):
    if declared is None:
        return f"is declared without a lifetime; it is set for {_duration(longest)}"
    if longest is None:
        return None
    if declared == SESSION:
        return f"is declared for the session, but it is set for {_duration(longest)}"
    delta = lifetime_delta(declared)
    if delta and longest > delta.total_seconds() * (1 + LIFETIME_SLACK) + 60:
        return f"is declared for {declared}, but it is set for {_duration(longest)}"
    return None


def _request_leaks(crawl):
    hosts = defaultdict(set)
    for result in crawl.passes:
        if result.pass_name in BEFORE_CONSENT:
            for host in result.third_party_hosts:
                if host in VENDOR_HOSTS:
                    hosts[host].add(result.pass_name)
    for host, passes in sorted(hosts.items()):
        ordered = tuple(p for p in PASSES if p in passes)
        tracker = VENDOR_HOSTS[host][0]
        yield ScanFinding("leak", REQUEST, host, f"the page sends requests to {host} ({tracker}) "
                          f"{_when(ordered)}", passes=ordered,
                          category=TRACKER_CATEGORIES[tracker])


def _not_seen(catalog, groups):
    for category, items in catalog.categories():
        for item in items:
            if item.storage == StorageKind.PIXEL:
                continue
            if not any(storage == item.storage.value and item_matches(item, name)
                       for storage, name in groups):
                yield ScanFinding("not-seen", item.storage.value, item.name,
                                  f"{category} item {describe_pattern(item)} was declared but "
                                  "never seen on the pages scanned", category=category,
                                  declared=describe_pattern(item))


def _near_miss(catalog, name, storage):
    # A pattern written without the leading underscore is the usual slip (ym* for _ym_uid).
    misses = [describe_pattern(item) for _category, items in catalog.categories() for item in items
              if item.storage.value == storage and item_matches(item, name.lstrip("_"))]
    return f" ({', '.join(misses)} does not match it)" if misses and name.startswith("_") else ""


def _clearable(seen):
    # A page can delete a cookie of its own host or of a parent domain, nothing else.
    page_host = urlsplit(seen.page).hostname or ""
    host = seen.host
    return page_host == host or page_host.endswith(f".{host}")


def _longest(seen):
    lifetimes = [item.lifetime for item in seen if item.lifetime is not None]
    return max(lifetimes) if lifetimes else None


def _duration(seconds):
    return "the session" if seconds is None else lifetime_text(seconds)


def _when(passes):
    words = {NONE: "before any choice", REJECT: "after Reject all", ACCEPT: "after Accept all"}
    return " and ".join(words[p] for p in passes)


def _label(storage, name):
    return f"{_kind(storage)} {name}"


def _kind(storage):
    return "cookie" if storage == COOKIE else f"{storage} key"


def compare_site(site, catalog, crawl):
    """Return the findings of a crawl of a stored site (or a site spec) against a catalog."""
    return compare(crawl, catalog, tracker_categories(site_loadable_trackers(site), catalog))
