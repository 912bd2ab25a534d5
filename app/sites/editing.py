"""Edit a site document piece by piece (settings, catalog items, texts) before it is validated."""
import copy
import hashlib
import json

from app.sites.trackers import TRACKERS

#: Settings form fields and where they live in a site document.
SETTINGS_PATHS = {
    "name": ("name",),
    "origins": ("origins",),
    "languages": ("languages",),
    "default_language": ("default_language",),
    "regime": ("regime",),
    "privacy_policy_url": ("privacy_policy", "url"),
    "privacy_policy_version": ("privacy_policy", "version"),
    "consent_document_url": ("consent_document", "url"),
    "consent_document_version": ("consent_document", "version"),
    "consent_lifetime_days": ("consent_lifetime_days",),
    "refusal_lifetime_days": ("refusal_lifetime_days",),
    "ga4_consent_mode": ("ga4_consent_mode",),
    "ga4_advanced_acknowledged": ("ga4_advanced_acknowledged",),
    "cross_border_notice_filed": ("cross_border_notice", "filed"),
    "cross_border_notice_reference": ("cross_border_notice", "reference"),
    "cross_border_notice_localisation_assessed": ("cross_border_notice", "localisation_assessed"),
    "gpc": ("gpc",),
    "client_ip": ("client_ip",),
    "retention_days": ("retention_days",),
    # A built-in tracker's field is named as its key under trackers:.
    **{name: ("trackers", name) for name in TRACKERS},
}
ITEM_FIELDS = ("name", "match", "storage", "provider", "purpose", "lifetime", "domain")


def settings_values(document):
    """Return the settings form's values read from a site document."""
    values = {}
    for field, path in SETTINGS_PATHS.items():
        node = document
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            # A url per language: the form edits the default language's (else the first).
            node = node.get(document.get("default_language")) or next(iter(node.values()), None)
        values[field] = node
    return values


def with_settings(document, values):
    """Return a copy of the document with these settings; empty values remove optional keys."""
    result = copy.deepcopy(document)
    for field, value in values.items():
        *parents, key = SETTINGS_PATHS[field]
        node = result
        for parent in parents:
            if not isinstance(node.get(parent), dict):
                node[parent] = {}
            node = node[parent]
        old = node.get(key)
        if isinstance(old, dict) and isinstance(value, str):
            # Only the default language's url is on the form; the other languages' stay.
            value = {**old, result["default_language"]: value}
        if value in (None, "", []):
            node.pop(key, None)
        else:
            node[key] = value
    for optional in ("consent_document", "cross_border_notice"):
        if not result.get(optional):
            result.pop(optional, None)
    return result


def with_catalog_item(document, category, index, item, default_language):
    """Return a copy with the item stored in category (appended when index is None)."""
    result = copy.deepcopy(document)
    items = result["catalog"].setdefault(category, []) or []
    result["catalog"][category] = items
    entry = {key: item[key] for key in ITEM_FIELDS if item.get(key) not in (None, "")}
    old = items[index] if index is not None and index < len(items) else {}
    if isinstance(old.get("purpose"), dict):
        # Only the default language is edited here; other translations stay.
        entry["purpose"] = {**old["purpose"], default_language: entry.get("purpose", "")}
    if index is None:
        items.append(entry)
    else:
        items[index] = entry
    return result


def without_catalog_item(document, category, index):
    """Return a copy without one catalog item."""
    result = copy.deepcopy(document)
    del result["catalog"][category][index]
    return result


def catalog_item(document, category, index):
    """Return one catalog item of the document with its purpose in the default language."""
    item = dict(document["catalog"][category][index])
    purpose = item.get("purpose")
    if isinstance(purpose, dict):
        item["purpose"] = purpose.get(document["default_language"], "")
    return item


def with_texts(document, language, texts):
    """Return a copy whose overrides for language are exactly the non-empty texts given."""
    result = copy.deepcopy(document)
    overrides = {key: value.strip() for key, value in texts.items() if value and value.strip()}
    all_texts = result.setdefault("texts", {})
    if overrides:
        all_texts[language] = overrides
    else:
        all_texts.pop(language, None)
    return result


def with_document_text(document, key, language, text):
    """Return a copy whose legal text under key (privacy_policy or consent_document) has this
    text in language, as a new version; the other languages' texts stay."""
    result = copy.deepcopy(document)
    node = result.setdefault(key, {}) or {}
    result[key] = node
    texts = node.get("text")
    texts = dict(texts) if isinstance(texts, dict) else (
        {document["default_language"]: texts} if texts else {})
    texts[language] = text
    node["text"] = texts
    # The upload, not the file it came from, is now the source of this language's text.
    files = node.get("file")
    if isinstance(files, dict):
        files = {lang: path for lang, path in files.items() if lang != language}
    node.pop("file", None)
    if files and isinstance(files, dict):
        node["file"] = files
    combined = json.dumps(texts, sort_keys=True, ensure_ascii=False).encode("utf-8")
    node["version"] = "up-" + hashlib.sha256(combined).hexdigest()[:12]
    return result
