"""A site's configuration history: full documents per revision and what each one changed."""


def site_document(spec):
    """Return a site spec as the plain document a site file would hold."""
    return spec.model_dump(mode="json", exclude_none=True)


def changed_paths(old, new, prefix=""):
    """Return the dotted paths where two documents differ, e.g. ['catalog.analytical[0].lifetime']."""
    if isinstance(old, dict) and isinstance(new, dict):
        paths = []
        for key in sorted(set(old) | set(new), key=str):
            paths += changed_paths(old.get(key), new.get(key), f"{prefix}.{key}" if prefix else key)
        return paths
    if isinstance(old, list) and isinstance(new, list) and _lists_of_mappings(old, new):
        paths = []
        for index in range(max(len(old), len(new))):
            before = old[index] if index < len(old) else None
            after = new[index] if index < len(new) else None
            paths += changed_paths(before, after, f"{prefix}[{index}]")
        return paths
    return [] if old == new else [prefix or "(document)"]


def _lists_of_mappings(old, new):
    return all(isinstance(item, dict) for item in old + new)
