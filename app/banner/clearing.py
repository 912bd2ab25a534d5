"""What the gate deletes when a visitor withdraws a category: key patterns, as the banner reads them."""
from app.sites.kinds import StorageKind
from app.sites.patterns import is_safe_pattern
from app.sites.trackers import TRACKERS


def clear_patterns(catalog, trackers):
    """Return, per optional category, the keys to delete when a visitor withdraws it."""
    clear = {}
    for category, items in catalog.categories():
        if category != "mandatory":
            # A pattern outside the safe subset would run in every visitor's browser: skipped.
            clear[category] = [key_pattern(item.storage, item.match.value, item.name)
                               for item in items if item.storage != StorageKind.PIXEL
                               and (item.match.value != "regex" or is_safe_pattern(item.name))]
    # Clear what the built-in trackers really write, even where the catalog forgot it.
    for name, tracker_config in trackers.items():
        tracker_id, tracker = tracker_config["id"], TRACKERS[name]
        clear[tracker_config["category"]] += [
            key_pattern(tracker_key.storage, match, tracker_key.name_for(tracker_id))
            for match, keys in (("exact", tracker.first_party), ("prefix", tracker.clear_prefixes))
            for tracker_key in keys
        ]
    return {category: without_covered(patterns) for category, patterns in clear.items()}


def without_covered(patterns):
    """Drop the key patterns that a prefix pattern of the same storage already covers.

    The gate deletes the same keys with fewer bytes before the banner is visible: "cp_ym_"
    covers "ce_ym_uid" and "cp_ym_d". Regular expressions are kept as they are.
    """
    unique = list(dict.fromkeys(patterns))
    prefixes = [pattern for pattern in unique if pattern[1] == "p"]

    def covered(pattern):
        return pattern[1] != "r" and any(
            prefix != pattern and prefix[0] == pattern[0] and pattern[2:].startswith(prefix[2:])
            for prefix in prefixes)

    return [pattern for pattern in unique if not covered(pattern)]


def key_pattern(storage, match, name):
    """Encode a key pattern as the gate reads it: storage letter, match letter, name."""
    storage_letter = {StorageKind.COOKIE: "c", StorageKind.LOCAL_STORAGE: "l",
                      StorageKind.SESSION_STORAGE: "s"}[StorageKind(storage)]
    if match == "prefix":
        name = name.rstrip("*")
    return f"{storage_letter}{match[0]}{name}"
