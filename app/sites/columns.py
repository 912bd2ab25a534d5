"""A site's settings between its site file and its row: one name each (no Flask inside).

A column carries its site file key's name; a key holding an object (operator, privacy_policy,
consent_document) is kept as one column per field, joined with "_". So adding a setting means a
field in the schema and a column of the same name, and every layer reads it by that name.
"""
from app.sites.tables import Site

#: Site file keys whose object is kept as one column per field.
FLATTENED = ("operator", "privacy_policy", "consent_document")
#: Columns that are the row's own bookkeeping, not settings of the site file.
BOOKKEEPING = ("catalog_version", "created_at", "updated_at", "deleted_at", "deleted_by")
#: Settings whose empty value is an empty object rather than nothing.
OBJECTS = ("trackers", "texts")


def setting_columns():
    """Return the names of the columns that hold a site file's settings."""
    return [column.key for column in Site.__table__.columns if column.key not in BOOKKEEPING]


def _path(column):
    for key in FLATTENED:
        if column.startswith(key + "_"):
            return key, column[len(key) + 1:]
    return (column,)


def columns_from(document):
    """Return the column values of a site document (as a site file holds it; catalog aside)."""
    values = {}
    for column in setting_columns():
        node = document
        for key in _path(column):
            node = node.get(key) if isinstance(node, dict) else None
        values[column] = ({} if column in OBJECTS else None) if node is None else node
    return values


def document_from(site):
    """Return the settings of a stored site as a site document (without its catalog)."""
    document = {}
    for column in setting_columns():
        value = getattr(site, column)
        if value is None or (column in OBJECTS and not value):
            continue
        *parents, key = _path(column)
        node = document
        for parent in parents:
            node = node.setdefault(parent, {})
        node[key] = value
    return document
