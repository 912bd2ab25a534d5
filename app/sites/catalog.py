"""Cookie catalogs as canonical documents: content hash, matching and display."""
import hashlib
import json
import re

from app.sites.patterns import is_safe_pattern
from app.sites.schema import Catalog, MatchKind, StorageKind
from app.sites.trackers import TRACKERS, enabled_trackers


def catalog_document(catalog, default_language):
    """Return the catalog as a plain, canonical document (purposes keyed by language)."""
    return {
        category: [_item_document(item, default_language) for item in items]
        for category, items in catalog.categories()
    }


def _item_document(item, default_language):
    purpose = item.purpose if isinstance(item.purpose, dict) else {default_language: item.purpose}
    return {
        "name": item.name,
        "match": item.match.value,
        "storage": item.storage.value,
        "provider": item.provider,
        "purpose": dict(sorted(purpose.items())),
        "lifetime": item.lifetime,
        "domain": item.domain,
    }


def catalog_from_document(document):
    """Rebuild a validated Catalog from its stored document."""
    return Catalog.model_validate(document, context={"stored": True})


def canonical_json(document):
    """Serialize a document the same way on every machine, for hashing."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(document):
    """Return the SHA-256 hex digest of a document's canonical JSON."""
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


def item_matches(item, key):
    """Tell whether a catalog item's name or pattern covers a cookie or storage key."""
    if item.match is MatchKind.EXACT:
        return item.name == key
    if item.match is MatchKind.PREFIX:
        return key.startswith(item.name.rstrip("*"))
    # Like most cookie tools, a pattern is searched; authors anchor it with ^ and $. One outside
    # the safe subset (stored before it existed) is never run: it could stall the service.
    return is_safe_pattern(item.name) and re.search(item.name, key) is not None


def describe_pattern(item):
    """Return the item's name as the site owner would read it (ym* for a prefix)."""
    if item.match is MatchKind.PREFIX:
        return item.name if item.name.endswith("*") else f"{item.name}*"
    if item.match is MatchKind.REGEX:
        return f"/{item.name}/"
    return item.name


def find_item(catalog, key, storage):
    """Return (category, item) for the first item that covers key in storage, or None."""
    for category, items in catalog.categories():
        for item in items:
            if item.storage == storage and item_matches(item, key):
                return category, item
    return None


def tracker_categories(trackers, catalog):
    """Return the category each enabled built-in tracker waits for, as the catalog files its
    anchor cookie (never mandatory: a tracker is always optional).

    Pass the trackers the gate may load (app.sites.trackers.site_loadable_trackers), so a tracker
    held back on a ru152 site is neither loaded nor named in a record.
    """
    categories = [name for name, _items in catalog.categories()]
    found = {}
    for name, _id in enabled_trackers(trackers):
        tracker = TRACKERS[name]
        declared = find_item(catalog, tracker.anchor, StorageKind.COOKIE)
        category = declared[0] if declared else tracker.default_category
        found[name] = category if category in categories and category != "mandatory" else (
            "analytical")
    return found
