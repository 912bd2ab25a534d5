"""Turn a stored scan's suggestions into catalog items of a site document (pure, no Flask)."""
from app.scanner.compare import FAILING
from app.sites.catalog import find_item
from app.sites.editing import with_catalog_item
from app.sites.schema import StorageKind


class BadChoice(ValueError):
    """A chosen finding does not exist or has nothing to add; the message says which."""


def addable(document, catalog):
    """Return the indexes of a scan's findings whose suggestion a Catalog does not cover yet."""
    found, keys = [], set()
    for index, finding in enumerate(document["findings"]):
        suggestion = finding.get("suggestion")
        # Undeclared keys get a new item; a declared one is changed on the catalog page.
        if not suggestion or finding["code"] not in FAILING or finding["declared"]:
            continue
        key = (finding["storage"], finding["name"])
        if key in keys or find_item(catalog, finding["name"], StorageKind(finding["storage"])):
            continue
        keys.add(key)
        found.append(index)
    return found


def with_suggestions(site_document, catalog, scan_document, indexes, purposes=None):
    """Return a copy of a site document with the chosen findings' suggested items added.

    purposes maps an index to the owner's purpose text, needed where the suggestion has none
    (a key no vendor documents). Raises BadChoice for an index that is not an addable finding
    of this scan, or that has no purpose.
    """
    purposes = purposes or {}
    allowed = set(addable(scan_document, catalog))
    edited, names = site_document, []
    for index in indexes:
        if index not in allowed:
            raise BadChoice(f"finding: {index} is no finding of this scan with an item to add "
                            "(or its key is in the catalog already)")
        suggestion = scan_document["findings"][index]["suggestion"]
        item = dict(suggestion["item"])
        purpose = (purposes.get(index) or "").strip() or item.get("purpose")
        if not purpose:
            raise BadChoice(f"purpose-{index}: describe what {item['name']} is for; visitors "
                            "read it in the banner")
        item["purpose"] = purpose
        edited = with_catalog_item(edited, suggestion["category"], None, item,
                                   site_document["default_language"])
        names.append(suggestion["item"]["name"])
    return edited, names
