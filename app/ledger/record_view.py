"""What a record page shows an auditor: the stored catalog and texts as rows, and raw JSON (no Flask)."""
import json
from dataclasses import dataclass

#: The catalog's categories in the banner's order; any other key follows, sorted.
CATEGORY_ORDER = ("mandatory", "analytical", "marketing", "functional")


@dataclass(frozen=True)
class CatalogRow:
    """One catalog item as a table row; purpose in the record's language where the item has it."""

    category: str
    name: str
    match: str
    storage: str
    provider: str
    purpose: str
    lifetime: str
    domain: str


def catalog_rows(content, language, default_language=None):
    """Return the rows of a stored catalog (category -> items), categories in the banner's order."""
    if not isinstance(content, dict):
        return []
    categories = [c for c in CATEGORY_ORDER if c in content] + sorted(
        set(content) - set(CATEGORY_ORDER))
    rows = []
    for category in categories:
        items = content[category]
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict):
                rows.append(_row(category, item, language, default_language))
    return rows


def _row(category, item, language, default_language):
    return CatalogRow(
        category=category, name=str(item.get("name", "")), match=str(item.get("match") or "exact"),
        storage=str(item.get("storage") or "cookie"), provider=str(item.get("provider", "")),
        purpose=localized(item.get("purpose"), language, default_language),
        lifetime=str(item.get("lifetime", "")), domain=str(item.get("domain") or ""))


def localized(value, language, default_language=None):
    """Return a per-language text in language, else the default language, English or any."""
    if not isinstance(value, dict):
        return "" if value is None else str(value)
    for choice in (language, default_language, "en"):
        if choice and choice in value:
            return str(value[choice])
    return str(next(iter(value.values()), ""))


def pretty_json(value):
    """Return value as indented JSON with keys sorted and non-ASCII kept as it is (no \\uXXXX)."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def field_text(value):
    """Return one stored field as an auditor reads it: JSON for lists and objects, else the value."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "" if value is None else str(value)
