"""Which legal texts a site has, per language: supplied by its owner or generated (no Flask).

A site's privacy policy and consent document are each a url, a supplied text (per language or
one for all), or, for the consent document of a 152-FZ site that has none, the generated text of
app.sites.consent_document. A text is proven by the SHA-256 of its exact UTF-8 bytes, its digest.
"""
import hashlib
from dataclasses import dataclass

from app.sites.catalog import catalog_from_document
from app.sites.consent_document import LANGUAGES as GENERATED_LANGUAGES
from app.sites.consent_document import generate_consent_document

POLICY, CONSENT = "policy", "consent"
KINDS = (POLICY, CONSENT)
#: The site file key of each kind, which is also the prefix of its columns.
KEYS = {POLICY: "privacy_policy", CONSENT: "consent_document"}
PLAIN, HTML = "text/plain", "text/html"
#: Where the service serves a site's current text of a kind (the documents blueprint's route).
STABLE_PATH = "/documents/{site}/{kind}/{language}"


@dataclass(frozen=True)
class LegalText:
    """One exact legal text of a site, in one language."""

    kind: str
    language: str
    version: str
    media_type: str
    text: str
    generated: bool = False

    @property
    def digest(self):
        """Return the SHA-256 hex of the text's UTF-8 bytes, as served."""
        return text_digest(self.text)


def text_digest(text):
    """Return the SHA-256 hex of a text's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def site_documents(site, catalog_version):
    """Return {kind: {language: LegalText}} of every stored or generated text a site has now.

    site has the columns of a site row; catalog_version is its stored current catalog version.
    """
    documents = {}
    for kind in KINDS:
        supplied = _supplied(site, kind)
        if supplied:
            documents[kind] = supplied
        elif kind == CONSENT and generates_consent_document(site):
            documents[kind] = _generated(site, catalog_from_document(catalog_version.content))
    return documents


def generates_consent_document(site):
    """Tell whether the service writes the site's consent document: a 152-FZ site without one."""
    return "ru152" in (site.regime or ()) and not site.consent_document_url \
        and not site.consent_document_text


def pick_language(available, language, default_language):
    """Return the language whose text a visitor in language reads: their own, else the site's
    default, else English, else the first there is."""
    for candidate in (language, default_language, "en"):
        if candidate in available:
            return candidate
    return sorted(available)[0] if available else None


def pick(texts, language, default_language):
    """Return the text of {language: LegalText} a visitor in language reads, or None."""
    chosen = pick_language(texts or {}, language, default_language)
    return texts[chosen] if chosen else None


def consent_version(site, documents):
    """Return the version of the consent document visitors are shown now (None: none)."""
    if CONSENT in documents:
        return next(iter(documents[CONSENT].values())).version
    return site.consent_document_version


def document_link(site, documents, kind, language):
    """Return the link a visitor in language follows to a kind of document, or None.

    A stored or generated text is linked on this service (a path relative to it); otherwise the
    site's url, in the visitor's language or the default one.
    """
    if kind in documents:
        return STABLE_PATH.format(site=site.id, kind=kind, language=language)
    url = getattr(site, f"{KEYS[kind]}_url")
    if isinstance(url, dict):
        chosen = pick_language(url, language, site.default_language)
        return url[chosen] if chosen else None
    return url


def _supplied(site, kind):
    key = KEYS[kind]
    text, files = getattr(site, f"{key}_text"), getattr(site, f"{key}_file")
    version = getattr(site, f"{key}_version")
    if not text:
        return {}
    texts = text if isinstance(text, dict) else {site.default_language: text}
    return {language: LegalText(kind, language, version, _media_type(files, language), body)
            for language, body in sorted(texts.items())}


def _media_type(files, language):
    name = files.get(language) if isinstance(files, dict) else files
    return HTML if (name or "").lower().endswith((".html", ".htm")) else PLAIN


def _generated(site, catalog):
    texts = {language: generate_consent_document(site, catalog, language)
             for language in GENERATED_LANGUAGES}
    # One version for both languages, derived from both texts: a changed site is a new version.
    combined = hashlib.sha256("\n".join(text_digest(texts[lang]) for lang in GENERATED_LANGUAGES)
                              .encode()).hexdigest()
    version = "gen-" + combined[:12]
    return {language: LegalText(CONSENT, language, version, PLAIN, text, generated=True)
            for language, text in texts.items()}
