"""What the banner's watcher counts as a leak on a site, and how often it watches (no Flask).

A key or a request is a leak when the catalog or the built-in tracker table ties it to a
category the visitor has not granted. The rules travel in the deferred part's payload.
"""
from app.banner.clearing import key_pattern
from app.scanner.suggestions import VENDOR_HOSTS
from app.sites.catalog import catalog_from_document, tracker_categories
from app.sites.kinds import StorageKind
from app.sites.patterns import is_safe_pattern
from app.sites.trackers import CONSENT_KEYS, TRACKERS

LABELS = {tracker.label: name for name, tracker in TRACKERS.items()}


def watcher_rules(catalog_content):
    """Return {"keys": {category: [key pattern]}, "hosts": {category: [host]}} for a catalog.

    Mandatory keys are listed too, so a mandatory cookie that a vendor's pattern also covers is
    never taken for a leak; a host covers its subdomains.
    """
    catalog = catalog_from_document(catalog_content)
    keys, hosts = {}, {}
    for category, items in catalog.categories():
        for item in items:
            if item.storage == StorageKind.PIXEL:
                continue
            if item.match.value != "regex" or is_safe_pattern(item.name):
                keys.setdefault(category, []).append(
                    key_pattern(item.storage, item.match.value, item.name))
            if item.domain and category != "mandatory":
                hosts.setdefault(category, []).append(item.domain.lstrip("."))
    # Every built-in tracker, enabled or not: a careless copy of its tag leaks all the same.
    categories = tracker_categories(dict.fromkeys(TRACKERS, "0"), catalog)
    for key in CONSENT_KEYS:
        category = categories.get(LABELS.get(key.label), key.category)
        keys.setdefault(category, []).append(key_pattern(StorageKind.COOKIE, key.match, key.name))
        for storage in (StorageKind.LOCAL_STORAGE, StorageKind.SESSION_STORAGE):
            keys[category].append(key_pattern(storage, key.match, key.name))
    for host, (tracker, _provider) in VENDOR_HOSTS.items():
        hosts.setdefault(categories[tracker], []).append(host)
    return {"keys": {name: list(dict.fromkeys(patterns)) for name, patterns in keys.items()},
            "hosts": {name: sorted(set(listed)) for name, listed in hosts.items()}}
