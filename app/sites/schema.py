"""The site file schema: what a site owner declares once, validated field by field.

Besides each field's own rules, every save passes app.sites.guards: text overrides keep their
placeholders and short labels, no analytics or advertising key is mandatory, and GA4 advanced
Consent Mode is refused on ru152 sites and needs ga4_advanced_acknowledged: true on gdpr sites.
On a ru152 site GA4 and the Meta pixel load only with cross_border_notice: {filed, reference,
localisation_assessed: true}. Stored sites are read back with context {"stored": True}, unguarded.
"""
import re
from datetime import date
from typing import Annotated

from babel import Locale, UnknownLocaleError
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from app.sites.guards import guard_problems
from app.sites.kinds import (  # noqa: F401  (the schema's vocabulary, importable from here)
    FIRST_PARTY,
    GoogleConsentMode,
    GpcMode,
    IpMode,
    MatchKind,
    Regime,
    StorageKind,
)
from app.sites.lifetimes import normalize_lifetime
from app.sites.patterns import pattern_problem
from app.sites.texts import BANNER_TEXTS
from app.sites.trackers import TRACKERS

SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])$"
ORIGIN = re.compile(r"^(https?)://([a-z0-9.-]+)(:\d{1,5})?$")
HOSTNAME = re.compile(r"^\.?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9-]{1,63}$")
LOCAL_HOSTS = ("localhost", "127.0.0.1")
COUNTRY = re.compile(r"^[A-Z]{2}$")
#: The longest a site may keep its consent records: a hundred years.
MAX_RETENTION_DAYS = 36500
#: The largest legal text a site may supply (its UTF-8 bytes).
MAX_DOCUMENT_BYTES = 1_000_000
#: Bounds that keep one site from costing every banner build and page of the console dearly.
MAX_ITEMS_PER_CATEGORY = 300
MAX_ORIGINS = 50
MAX_LANGUAGES = 40

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
OptionalText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


def _check_language(code):
    try:
        Locale.parse(code.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        raise ValueError(f"{code!r} is not a known language code") from None
    return code


Language = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=12),
                     AfterValidator(_check_language)]


class Strict(BaseModel):
    """A schema node that rejects unknown keys and keeps the file's spelling."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _check_country(code):
    if not COUNTRY.match(code) or code not in Locale("en").territories:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code such as RU or SI")
    return code


Country = Annotated[str, AfterValidator(_check_country)]
Url = Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=500)]
#: A legal text itself, as the site supplies it (at most MAX_DOCUMENT_BYTES once encoded).
DocumentText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_DOCUMENT_BYTES)]
DocumentPath = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class Operator(Strict):
    """The data controller named in the privacy policy."""

    #: One name, or the name per language (the default language's is then required).
    legal_name: Text | dict[Language, Text]
    registration_number: OptionalText = ""
    address: OptionalText = ""
    email: EmailStr
    #: Where the operator is established; vendors elsewhere receive data across the border.
    country: Country | None = None


class Document(Strict):
    """A legal text and the version a visitor is shown: where it is published, and the text.

    A url alone points to a text the service cannot prove later; text (or file, which the site
    file loader reads into text) is stored and hashed. Each may be one value or one per language.
    """

    url: Url | dict[Language, Url] | None = None
    version: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    text: DocumentText | dict[Language, DocumentText] | None = None
    #: Where text was read from: a path relative to the site file, or one per language.
    file: DocumentPath | dict[Language, DocumentPath] | None = None

    @model_validator(mode="after")
    def _url_or_text(self):
        if self.url is None and self.text is None:
            raise ValueError("give a url, a text or a file")
        return self


class CrossBorderNotice(Strict):
    """The operator's statement that its 152-FZ Art. 12 cross-border transfer notice was filed
    with Roskomnadzor and that Art. 18(5) localisation was assessed (checklist item 20)."""

    filed: date
    reference: OptionalText = ""
    #: Russian citizens' data is first recorded in Russia (Art. 18(5)); must be stated as true.
    localisation_assessed: bool

    @field_validator("filed")
    @classmethod
    def _not_in_future(cls, filed):
        if filed > date.today():
            raise ValueError(f"{filed.isoformat()} is in the future; state the date it was filed")
        return filed

    @field_validator("localisation_assessed")
    @classmethod
    def _assessed(cls, assessed):
        if not assessed:
            raise ValueError("must be true: the cross-border trackers load only once Art. 18(5) "
                             "localisation was assessed")
        return assessed


class LeakReports(Strict):
    """How often the banner watches a page view for trackers that escape the gate."""

    #: The share of page views watched and reported to POST /api/v1/leaks; 0 turns it off.
    sample: float = Field(default=0.05, ge=0, le=1)


class _TrackerIds(Strict):
    def enabled(self):
        """Return the names of the trackers that are switched on."""
        return [name for name, value in self if value]

    def as_dict(self):
        """Return {name: id} of the trackers that are switched on."""
        return {name: value for name, value in self if value}


#: Built-in trackers the gate loads after consent, each off unless its id is set; one field per
#: entry of app.sites.trackers.TRACKERS.
Trackers = create_model(
    "Trackers", __base__=_TrackerIds, __doc__="The ids of the built-in trackers a site uses.",
    **{name: (Annotated[str, StringConstraints(pattern=tracker.id_pattern)] | None, None)
       for name, tracker in TRACKERS.items()})


class CatalogItem(Strict):
    """One cookie, storage key or pixel a site declares."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    match: MatchKind = MatchKind.EXACT
    storage: StorageKind = StorageKind.COOKIE
    provider: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    purpose: Text | dict[Language, Text]
    lifetime: str | None = None
    domain: str | None = None

    @field_validator("lifetime", mode="before")
    @classmethod
    def _canonical_lifetime(cls, value):
        return None if value is None else normalize_lifetime(value)

    @field_validator("domain")
    @classmethod
    def _valid_domain(cls, value):
        if value is not None and not HOSTNAME.match(value.lower()):
            raise ValueError(f"{value!r} is not a domain name")
        return None if value is None else value.lower()

    @model_validator(mode="after")
    def _valid_pattern(self, info: ValidationInfo):
        # A pattern stored before the safe subset existed is read back; it is never run
        # (app.sites.catalog.item_matches) and the catalog check reports it.
        if self.match is MatchKind.REGEX and not (info.context or {}).get("stored"):
            problem = pattern_problem(self.name)
            if problem:
                raise ValueError(f"name {self.name!r} {problem}")
        return self

    @property
    def first_party(self):
        """Tell whether the site itself provides this item."""
        return self.provider == FIRST_PARTY


#: A category's items, bounded (MAX_ITEMS_PER_CATEGORY).
Items = Annotated[list[CatalogItem], Field(max_length=MAX_ITEMS_PER_CATEGORY)]


class Catalog(Strict):
    """A site's cookie catalog by category; mandatory is always on."""

    mandatory: Items
    analytical: Items
    marketing: Items | None = None
    functional: Items | None = None

    def categories(self):
        """Return (category, items) pairs for the categories this site has, in display order."""
        return [(name, items) for name, items in self if items is not None]


class SiteSpec(Strict):
    """Everything a site file declares about one site."""

    id: Annotated[str, StringConstraints(pattern=SLUG)]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    operator: Operator
    origins: list[str] = Field(min_length=1, max_length=MAX_ORIGINS)
    languages: list[Language] = Field(min_length=1, max_length=MAX_LANGUAGES)
    default_language: Language
    regime: list[Regime] = Field(min_length=1)
    privacy_policy: Document
    consent_document: Document | None = None
    consent_lifetime_days: int = Field(default=180, ge=1, le=3650)
    refusal_lifetime_days: int | None = Field(default=None, ge=1, le=3650)
    trackers: Trackers = Trackers()
    ga4_consent_mode: GoogleConsentMode = GoogleConsentMode.BASIC
    #: Required (true) for ga4_consent_mode: advanced on a gdpr site: gtag.js loads before consent.
    ga4_advanced_acknowledged: bool = False
    #: On a ru152 site, GA4 and the Meta pixel load only once this is set.
    cross_border_notice: CrossBorderNotice | None = None
    gpc: GpcMode = GpcMode.REFUSE
    client_ip: IpMode = IpMode.TRUNCATE
    #: How long consent records are kept as proof (default three years).
    retention_days: int = Field(default=1095, ge=1, le=MAX_RETENTION_DAYS)
    #: Banner text overrides: language -> text key -> text.
    texts: dict[Language, dict[str, Text]] = Field(default_factory=dict)
    #: Leak reports from sampled page views (app.leaks); unset, 5 % of them.
    leak_reports: LeakReports | None = None
    catalog: Catalog

    @field_validator("origins")
    @classmethod
    def _valid_origins(cls, origins):
        for origin in origins:
            match = ORIGIN.match(origin)
            if not match:
                raise ValueError(f"{origin!r} is not an origin like https://example.com")
            if match.group(1) == "http" and match.group(2) not in LOCAL_HOSTS:
                raise ValueError(f"{origin!r} must use https (http only for localhost)")
        return list(dict.fromkeys(origins))

    @field_validator("regime")
    @classmethod
    def _unique_regimes(cls, regimes):
        return sorted(set(regimes))

    @model_validator(mode="after")
    def _guarded(self, info: ValidationInfo):
        # A stored site is read back as it was saved (context "stored"); only saves are guarded.
        if not (info.context or {}).get("stored"):
            problems = guard_problems(self)
            if problems:
                raise ValueError(problems[0])
        return self

    @model_validator(mode="after")
    def _consistent(self):
        if self.default_language not in self.languages:
            raise ValueError(f"default_language {self.default_language!r} is not in languages")
        if self.refusal_lifetime_days and self.refusal_lifetime_days > self.consent_lifetime_days:
            raise ValueError("refusal_lifetime_days must not exceed consent_lifetime_days")
        self._check_texts()
        self._check_per_language()
        for category, items in self.catalog.categories():
            for index, item in enumerate(items):
                if isinstance(item.purpose, dict) and self.default_language not in item.purpose:
                    raise ValueError(
                        f"catalog.{category}[{index}].purpose has no text in the default "
                        f"language {self.default_language!r}"
                    )
        return self

    def _check_per_language(self):
        values = {"operator.legal_name": self.operator.legal_name}
        for key in ("privacy_policy", "consent_document"):
            document = getattr(self, key)
            for field in ("url", "text", "file"):
                values[f"{key}.{field}"] = getattr(document, field, None)
        for path, value in values.items():
            if not isinstance(value, dict):
                continue
            for language in value:
                if language not in self.languages:
                    raise ValueError(f"{path}.{language}: {language!r} is not in languages")
            # A legal text may exist in fewer languages; its readers fall back to another.
            if path == "operator.legal_name" and self.default_language not in value:
                raise ValueError(f"{path} has no value in the default language "
                                 f"{self.default_language!r}")

    def _check_texts(self):
        for language, overrides in self.texts.items():
            if language not in self.languages:
                raise ValueError(f"texts.{language}: {language!r} is not in languages")
            unknown = sorted(set(overrides) - set(BANNER_TEXTS))
            if unknown:
                raise ValueError(
                    f"texts.{language}.{unknown[0]}: not a banner text key "
                    f"(known keys: {', '.join(BANNER_TEXTS)})"
                )

    @property
    def refusal_days(self):
        """Return how long a refusal is remembered."""
        return self.refusal_lifetime_days or self.consent_lifetime_days
