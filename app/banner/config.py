"""Build what the banner script needs to know about one site, in every language it offers."""
from babel import Locale
from babel.units import format_unit

from app.banner.texts import resolve_texts
from app.ledger.proof import texts_digest
from app.sites.catalog import catalog_from_document, item_matches, tracker_categories
from app.sites.kinds import FIRST_PARTY, StorageKind
from app.sites.lifetimes import PERSISTENT, SESSION
from app.sites.trackers import TRACKERS, held_back_trackers, site_loadable_trackers


def banner_config(site, catalog_version, text_sets, urls, build, css):
    """Return the banner's configuration as plain data, ready for JSON.

    text_sets are the site's texts per language (site_text_sets); this script gets all but the
    deferred part's own. urls has "api", where reports go (or None), "shown", where first-layer
    displays are counted (or None), and "deferred", the deferred part's URL up to the digest of
    the visitor's texts.
    """
    catalog = catalog_from_document(catalog_version.content)
    categories = [name for name, _items in catalog.categories()]
    trackers = _trackers(site, catalog)
    return {
        "site": site.id,
        "api": urls["api"],
        "shownApi": urls.get("shown"),
        "deferredUrl": urls["deferred"],
        "build": build,
        "css": css,
        "languages": site.languages,
        "defaultLanguage": site.default_language,
        "versions": {"catalog": catalog_version.version, "policy": site.privacy_policy_version,
                     "document": site.consent_document_version},
        "lifetimeDays": site.consent_lifetime_days,
        "refusalDays": site.refusal_lifetime_days or site.consent_lifetime_days,
        "gpc": site.gpc,
        "categories": categories,
        "trackers": trackers,
        "clear": _clear_patterns(site, catalog, trackers),
        "texts": {language: {key: text for key, text in texts.items()
                             if key not in DEFERRED_TEXTS}
                  for language, texts in text_sets.items()},
    }


def site_text_sets(site, catalog_version):
    """Return every text a visitor of the site can see, per language, each set with its digest."""
    catalog = catalog_from_document(catalog_version.content)
    return {language: _texts(site, catalog, language) for language in site.languages}


def deferred_texts(texts):
    """Return the part of a text set that only the deferred part shows."""
    return {key: texts[key] for key in DEFERRED_TEXTS if key in texts}


def _trackers(site, catalog):
    # Keyed by the tracker's name, as in the site file and the deferred part's LOADERS.
    loadable = site_loadable_trackers(site)
    trackers = {name: {"id": loadable[name], "category": category}
                for name, category in tracker_categories(loadable, catalog).items()}
    if "ga4" in trackers:
        trackers["ga4"]["mode"] = site.ga4_consent_mode
    return trackers


def _clear_patterns(site, catalog, trackers):
    """Return, per optional category, the keys to delete when a visitor withdraws it."""
    clear = {}
    for category, items in catalog.categories():
        if category != "mandatory":
            clear[category] = [key_pattern(item.storage, item.match.value, item.name)
                               for item in items if item.storage != StorageKind.PIXEL]
    # Clear what the built-in trackers really write, even where the catalog forgot it.
    for name, tracker_config in trackers.items():
        tracker_id, tracker = tracker_config["id"], TRACKERS[name]
        clear[tracker_config["category"]] += [
            key_pattern(tracker_key.storage, match, tracker_key.name_for(tracker_id))
            for match, keys in (("exact", tracker.first_party), ("prefix", tracker.clear_prefixes))
            for tracker_key in keys
        ]
    return {category: list(dict.fromkeys(patterns)) for category, patterns in clear.items()}


def key_pattern(storage, match, name):
    """Encode a key pattern as the gate reads it: storage letter, match letter, name."""
    storage_letter = {StorageKind.COOKIE: "c", StorageKind.LOCAL_STORAGE: "l",
                      StorageKind.SESSION_STORAGE: "s"}[StorageKind(storage)]
    if match == "prefix":
        name = name.rstrip("*")
    return f"{storage_letter}{match[0]}{name}"


#: Texts only the deferred part shows (the settings layer, placeholders of gated embeds): they
#: travel with its script. A text set's digest still covers every text, whichever script carries it.
DEFERRED_TEXTS = ("settings_intro", "save", "always_on", "about_mandatory", "column_name",
                  "column_provider", "column_purpose", "column_lifetime", "rows", "blocked_content",
                  "allow")
#: Texts the server renders into the catalog table; the browser never needs them on their own.
SERVER_ONLY_TEXTS = ("first_party", "lifetime_session", "lifetime_persistent")


def _texts(site, catalog, language):
    """Return the texts a visitor of this site can see in one language, with their digest."""
    resolved = resolve_texts(language, operator_name(site, language), site.texts)
    categories = [name for name, _items in catalog.categories()]
    texts = {key: text for key, text in resolved.items() if _shown(key, site, categories)}
    texts["rows"] = {
        category: [_row(item, language, site.default_language, resolved)
                   for item in _shown_items(site, items)]
        for category, items in catalog.categories()
    }
    # Inside the text set, so its digest proves which documents the visitor was pointed to.
    texts["links"] = document_links(site, language)
    texts["digest"] = texts_digest(site.id, language, texts)
    return texts


def _shown_items(site, items):
    """Leave out the items that only a held-back tracker writes: the visitor is not told of
    cookies the gate never lets be set."""
    held = held_back_trackers(site)
    if not held:
        return items
    loaded = list(site_loadable_trackers(site))
    return [item for item in items
            if not _writes(item, site, held) or _writes(item, site, loaded)]


def _writes(item, site, names):
    return any(item_matches(item, key.name_for(site.trackers[name]))
               for name in names for key in TRACKERS[name].first_party)


def operator_name(site, language):
    """Return the operator's name as visitors in a language read it."""
    return site.operator_legal_name


def document_links(site, language):
    """Return the URLs of the privacy policy and the consent document (or None) in a language."""
    return {"policy": site.privacy_policy_url, "document": site.consent_document_url}


def _shown(key, site, categories):
    if key in SERVER_ONLY_TEXTS:
        return False
    if key.startswith(("category_", "about_")):
        return key.split("_", 1)[1] in categories
    if key == "consent_document":
        return bool(site.consent_document_url)
    return key != "gpc_notice" or site.gpc == "refuse"


def _row(item, language, default_language, texts):
    purpose = item.purpose if isinstance(item.purpose, str) else (
        item.purpose.get(language) or item.purpose[default_language])
    provider = texts["first_party"] if item.provider == FIRST_PARTY else item.provider
    name = item.name + ("*" if item.match.value == "prefix" else "")
    return [name, provider, purpose, _lifetime(item.lifetime, language, texts)]


def _lifetime(lifetime, language, texts):
    if lifetime is None:
        return "—"
    if lifetime == SESSION:
        return texts["lifetime_session"]
    if lifetime == PERSISTENT:
        return texts["lifetime_persistent"]
    count, unit = lifetime.split()
    locale = Locale.parse(language.replace("-", "_"))
    return format_unit(int(count), f"duration-{unit.rstrip('s')}", length="long", locale=locale)
