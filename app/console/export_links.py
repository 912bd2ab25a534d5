"""Clean export URLs: the site and the format in the path, only the filters given as parameters."""
from flask import url_for

from app.ledger.export import FORMATS

#: The query parameters an export URL keeps, in this order; empty ones are left out.
FILTERS = ("since", "until", "event", "consent_id", "subject_id", "receipt", "up_to")


def export_url(kind, args, fmt=None):
    """Return the clean URL of an export (kind: file, manifest or screenshots) of a search's args."""
    site_id = args.get("site") or None
    params = {name: args[name] for name in FILTERS if args.get(name) not in (None, "")}
    if kind == "manifest" and args.get("screenshots") == "1":
        params["screenshots"] = "1"
    endpoint = {"file": "console.export_file", "manifest": "console.export_manifest_file",
                "screenshots": "console.export_screenshots_zip"}[kind]
    if site_id is None:
        endpoint += "_all"
    else:
        params["site_id"] = site_id
    if fmt is not None:
        params["fmt"] = fmt
    return url_for(endpoint, **params)


def export_links(args):
    """Return the download links of a search: per format its file and manifest, and the zip."""
    return {"formats": {fmt: (export_url("file", args, fmt), export_url("manifest", args, fmt))
                        for fmt in FORMATS},
            "screenshots_manifest": export_url("manifest", {**args, "screenshots": "1"}, "csv"),
            "screenshots": export_url("screenshots", args)}
