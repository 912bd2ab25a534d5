"""What the console's preview frames show of texts that are not saved yet (no Flask).

The texts editor sends the texts being typed to the service, which resolves them as a visitor
would see them once saved (placeholders filled, figures and vendors in), and the console passes
them on to its sandboxed preview frames (static/console/preview.js).
"""
from app.banner.config import fill_text

#: The first layer's small print, in the order the banner joins it.
SMALL_PRINT = ("kept", "cross_border", "third_party_cookies")
#: Texts the banner shows above the first layer only in one situation: a notice each.
NOTICES = ("changed_policy", "changed_expired", "changed_vendors", "gpc_notice")


def preview_payload(texts):
    """Return a text set's plain texts, its first-layer small print and its situational notices."""
    plain = {key: value for key, value in texts.items() if isinstance(value, str)}
    small = " ".join(texts[key] for key in SMALL_PRINT if texts.get(key))
    notices = {key: texts[key] for key in NOTICES if texts.get(key) and key != "changed_vendors"}
    example = next(((category, vendors) for category, vendors in texts.get("vendors", {}).items()
                    if vendors), None)
    if example and texts.get("changed_vendors"):
        # As a visitor asked again would read it, with the category's providers as the newcomers.
        category, vendors = example
        notices["changed_vendors"] = fill_text(texts["changed_vendors"], vendors=vendors,
                                               category=texts.get("category_" + category, category))
    return {"texts": plain, "small": small,
            "notices": {key: notices[key] for key in NOTICES if key in notices}}
