"""Build what the banner script needs to know about one site, in every language it offers."""
from datetime import UTC

from babel import Locale, UnknownLocaleError
from babel.units import format_unit

from app.banner.clearing import clear_patterns
from app.banner.languages import texts_version
from app.banner.texts import resolve_texts
from app.leaks.settings import leak_sample
from app.ledger.proof import texts_digest
from app.sites.catalog import catalog_from_document, item_matches, tracker_categories
from app.sites.consent_document import legal_name
from app.sites.documents import CONSENT, POLICY, consent_version, document_link, site_documents
from app.sites.gate_storage import GATE_STORAGE, consent_cookie_days, gate_key_for
from app.sites.kinds import FIRST_PARTY
from app.sites.lifetimes import PERSISTENT, SESSION
from app.sites.trackers import TRACKERS, held_back_trackers, site_loadable_trackers
from app.sites.vendors import operator_country, provider_key, site_vendors, vendor_names


def banner_config(site, catalog_version, text_sets, urls, build, css, additions=None,
                  language=None):
    """Return the banner's configuration as plain data, ready for JSON.

    text_sets are the site's texts per language (site_text_sets); this script carries the
    first-layer texts of one, language (the site's default when None), and the banner fetches
    another's from the deferred URL + textsVersion + "/" + language + ".js" (views.texts_script)
    when its page asks for it. urls has "api", where reports go (or None: then nothing is
    reported; first-layer displays go to "impressions" and leak reports to "leaks" beside it),
    "leaks" (or None: then the banner never watches), and "deferred", the deferred part's URL up
    to the digest of the visitor's texts. additions are the vendors that joined each category after
    the site was created, as [[vendor, epoch ms]] (app.sites.vendors.vendor_additions): a visitor
    who granted the category before is asked again.
    """
    catalog = catalog_from_document(catalog_version.content)
    categories = [name for name, _items in catalog.categories()]
    trackers = _trackers(site, catalog)
    language = language or site.default_language
    return {
        "site": site.id,
        "api": urls["api"],
        # The share of page views that watch for leaks (the deferred part's payload has the rest).
        "leaks": leak_sample(site) if urls.get("leaks") else 0,
        "deferredUrl": urls["deferred"],
        "build": build,
        "css": css,
        # One string, the default first: a 33-language site's list stays a few bytes (the first
        # script's budget is 6,000 B gzip).
        "languages": " ".join(dict.fromkeys([site.default_language, *site.languages])),
        "versions": {"catalog": catalog_version.version, "policy": site.privacy_policy_version,
                     "document": consent_version(site, site_documents(site, catalog_version))},
        "lifetimeDays": site.consent_lifetime_days,
        # Only when a refusal is kept for another time (the first script's bytes count).
        **({"refusalDays": site.refusal_lifetime_days} if site.refusal_lifetime_days
           and site.refusal_lifetime_days != site.consent_lifetime_days else {}),
        "categories": categories,
        "trackers": trackers,
        "clear": clear_patterns(catalog, trackers),
        "added": _added(additions or {}, site_vendors(site, catalog)),
        "textsVersion": texts_version(text_sets),
        "texts": {language: first_layer_texts(text_sets[language], language)},
    }


def site_text_sets(site, catalog_version, overrides=None, languages=None):
    """Return every text a visitor of the site can see, per language, each set with its digest.

    overrides replaces the site's own text overrides (the texts editor's preview of unsaved texts).
    """
    catalog = catalog_from_document(catalog_version.content)
    documents = site_documents(site, catalog_version)
    overrides = site.texts if overrides is None else overrides
    return {language: _texts(site, catalog, documents, language, overrides)
            for language in languages or site.languages}


def first_layer_texts(texts, language):
    """Return the part of a text set that the first script carries (all but the deferred part's).

    A right-to-left language (CLDR's, through Babel) adds "dir": "rtl", outside the text set and
    its digest: the banner lays its texts out that way.
    """
    first = {key: text for key, text in texts.items() if key not in DEFERRED_TEXTS}
    return {**first, "dir": "rtl"} if _right_to_left(language) else first


def _right_to_left(language):
    try:
        return _locale(language).text_direction == "rtl"
    except (ValueError, UnknownLocaleError):  # a code Babel does not know: left to right
        return False


def _locale(language):
    """Return Babel's locale for a site's language code ("pt-BR" as well as "pt_BR")."""
    return Locale.parse(language.replace("-", "_"))


def deferred_texts(texts):
    """Return the part of a text set that only the deferred part shows."""
    return {key: texts[key] for key in DEFERRED_TEXTS if key in texts}


def _added(additions, vendors):
    """Return, per category, [[vendor, epoch ms it joined]] for the banner's re-consent check."""
    added = {}
    for category, joined in additions.items():
        listed = vendors.get(category, [])
        names = vendor_names(listed)
        # A new tracker names its company too: the banner says the service once.
        for vendor in listed:
            if vendor.service in joined:
                names.pop(provider_key(vendor.provider), None)
        entries = [[names[name], _epoch_ms(when)]
                   for name, when in sorted(joined.items(), key=lambda pair: pair[1])
                   if name in names]
        if entries:
            added[category] = entries
    return added


def _epoch_ms(moment):
    # SQLite hands timestamps back without their zone; every stored time is UTC.
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp() * 1000)


def _trackers(site, catalog):
    # Keyed by the tracker's name, as in the site file and the banner's START.
    loadable = site_loadable_trackers(site)
    trackers = {name: {"id": loadable[name], "category": category}
                for name, category in tracker_categories(loadable, catalog).items()}
    # Basic mode is the gate's default: only advanced mode, which loads gtag.js at once, is said.
    if "ga4" in trackers and site.ga4_consent_mode == "advanced":
        trackers["ga4"]["mode"] = "advanced"
    return trackers


#: Texts only the deferred part shows (the settings layer, the launcher, placeholders of gated
#: embeds, why a visitor is asked again and the Global Privacy Control notice: the banner waits
#: for the deferred part then): they travel with its script. A text set's digest still covers
#: every text, whichever script carries it.
DEFERRED_TEXTS = ("settings_title", "settings_intro", "save", "always_on", "category_mandatory",
                  "about_mandatory", "column_name", "column_provider", "column_purpose",
                  "column_lifetime", "rows", "blocked_content", "allow", "placeholder_vendors",
                  "changed_vendors", "changed_policy", "changed_expired", "gpc_notice")
#: Texts the server renders into the catalog table; the browser never needs them on their own.
SERVER_ONLY_TEXTS = ("first_party", "lifetime_session", "lifetime_persistent", "gate_purposes",
                     "gate_lifetimes")
#: Texts whose placeholders the server fills per site (_first_layer_notes); shown only filled.
TEMPLATES = ("kept", "kept_both", "cross_border", "third_party_cookies")


def _texts(site, catalog, documents, language, overrides):
    """Return the texts a visitor of this site can see in one language, with their digest."""
    resolved = resolve_texts(language, operator_name(site, language), overrides)
    categories = [name for name, _items in catalog.categories()]
    links = document_links(site, language, documents)
    vendors = site_vendors(site, catalog)
    home = operator_country(site.operator_country, site.regime)
    texts = {key: text for key, text in resolved.items()
             if _shown(key, site, categories, links["document"])}
    texts.update(_first_layer_notes(site, resolved, vendors, home, language))
    texts["vendors"] = {category: ", ".join(_vendor_label(vendor, home, language)
                                            for vendor in listed)
                        for category, listed in vendors.items()}
    # The gate's own keys are declared by the service; an owner's item for one is left out.
    texts["rows"] = {
        category: [_row(item, language, site.default_language, resolved)
                   for item in _shown_items(site, items) if gate_key_for(item.name) is None]
        for category, items in catalog.categories()
    }
    texts["rows"]["mandatory"][:0] = _gate_rows(site, language, resolved)
    # Inside the text set, so its digest proves which documents the visitor was pointed to.
    texts["links"] = links
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
    """Return the operator's name as visitors in a language read it (else the default one's)."""
    return legal_name(site, language)


def document_links(site, language, documents):
    """Return the links to the privacy policy and the consent document (or None) in a language:
    a stored or generated text on this service (relative to it), else the site's url."""
    return {"policy": document_link(site, documents, POLICY, language),
            "document": document_link(site, documents, CONSENT, language)}


def _first_layer_notes(site, texts, vendors, home, language):
    """Return the first layer's lines on lifetime, withdrawal, transfers and vendor cookies."""
    days, refusal = site.consent_lifetime_days, site.refusal_lifetime_days
    notes = {"kept": fill_text(texts["kept"], days=_days(days, language))}
    if refusal and refusal != days:
        notes["kept"] = fill_text(texts["kept_both"], days=_days(days, language),
                              refusal_days=_days(refusal, language))
    abroad = sorted({vendor.country for listed in vendors.values() for vendor in listed
                     if vendor.country and home and vendor.country != home})
    if abroad:
        notes["cross_border"] = fill_text(texts["cross_border"], country=_country(home, language),
                                      countries=", ".join(_country(code, language)
                                                          for code in abroad))
    if any(listed for listed in vendors.values()):
        notes["third_party_cookies"] = texts["third_party_cookies"]
    return notes


def fill_text(template, **values):
    """Replace each %(name)s placeholder of a banner text by its value."""
    # Owner overrides keep their placeholders (the schema checks it), so %-formatting is safe
    # only on our keys: replace them one by one instead.
    for name, value in values.items():
        template = template.replace(f"%({name})s", value)
    return template


def _days(count, language):
    locale = _locale(language)
    return format_unit(count, "duration-day", length="long", locale=locale)


def _country(code, language):
    locale = _locale(language)
    return locale.territories.get(code, code)


def _vendor_label(vendor, home, language):
    """Return "Service (Company, Country)", the country only when it is not the operator's."""
    details = [vendor.provider]
    if vendor.country and vendor.country != home:
        details.append(_country(vendor.country, language))
    inner = ", ".join(details)
    return f"{vendor.service} ({inner})" if vendor.service else (
        inner if len(details) == 1 else f"{vendor.provider} ({details[1]})")


def _gate_rows(site, language, texts):
    """Return the rows of the gate's own cookie and storage key, in the visitor's language."""
    rows = []
    for key in GATE_STORAGE:
        lifetime = key.lifetime and texts["gate_lifetimes"][key.name]
        rows.append([key.name, texts["first_party"], texts["gate_purposes"][key.name],
                     lifetime or _days(consent_cookie_days(site.consent_lifetime_days), language)])
    return rows


def _shown(key, site, categories, document_link):
    if key in SERVER_ONLY_TEXTS or key in TEMPLATES:
        return False
    if key.startswith(("category_", "about_")):
        return key.split("_", 1)[1] in categories
    if key == "consent_document":
        return bool(document_link)
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
    locale = _locale(language)
    return format_unit(int(count), f"duration-{unit.rstrip('s')}", length="long", locale=locale)
