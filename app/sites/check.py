"""The catalog check: compare what a site declares with what its trackers really do."""
from dataclasses import dataclass

from app.sites.catalog import describe_pattern, find_item, item_matches
from app.sites.gate_storage import GATE_STORAGE
from app.sites.guards import guard_problems
from app.sites.patterns import pattern_problem
from app.sites.schema import MatchKind, Regime, StorageKind
from app.sites.trackers import ADVERTISING_IDENTIFIERS, TRACKERS, held_back_trackers


@dataclass(frozen=True)
class Finding:
    """One problem the check found; code is stable, message is for people."""

    code: str
    message: str

    def __str__(self):
        return f"[{self.code}] {self.message}"


def check_site(spec):
    """Return every finding for a site spec, most serious first."""
    return [
        *(Finding("refused", problem) for problem in guard_problems(spec)),
        *_check_regime(spec),
        *_check_undeclared(spec),
        *_check_unclearable(spec),
        *_check_advertising_as_analytics(spec),
        *_check_lifetimes(spec),
        *_check_gate_storage(spec),
        *_check_patterns(spec),
    ]


def _check_regime(spec):
    if Regime.RU152 not in spec.regime:
        return
    # Without a consent_document the service generates one (app.sites.consent_document).
    document = spec.consent_document
    if document is not None and document.text is None:
        yield Finding(
            "ru152-consent-document",
            "consent_document gives only a url: a url alone proves nothing about the text a "
            "visitor saw; give its text or file, or leave consent_document out to have the "
            "service generate and store one",
        )
    held = held_back_trackers(spec)
    if held:
        yield Finding(
            "ru152-cross-border",
            f"{', '.join(held)} {'is' if len(held) == 1 else 'are'} not loaded: 152-FZ Art. 12 "
            "needs the cross-border notice; set cross_border_notice: {filed: <date>, reference: "
            "<text>, localisation_assessed: true} once it was filed with Roskomnadzor",
        )
    crossing = [name for name in spec.trackers.enabled() if TRACKERS[name].cross_border]
    notice = spec.cross_border_notice
    if crossing and notice is not None:
        reference = f" ({notice.reference})" if notice.reference else ""
        yield Finding(
            "ru152-localisation",
            f"{', '.join(crossing)} load under the cross-border notice filed "
            f"{notice.filed.isoformat()}{reference}: their data leaves Russia, so Russian "
            "citizens' data must still be recorded first in databases in Russia (152-FZ Art. 18(5))",
        )


def _check_undeclared(spec):
    for name in spec.trackers.enabled():
        tracker = TRACKERS[name]
        tracker_id = getattr(spec.trackers, name)
        for key in tracker.first_party:
            real_name = key.name_for(tracker_id)
            if find_item(spec.catalog, real_name, key.storage) is None:
                yield Finding(
                    "undeclared",
                    f"{tracker.label} writes {_storage_label(key.storage)} {real_name}, which no "
                    f"catalog item declares{_near_miss_hint(spec, real_name, key.storage)}",
                )


def _near_miss_hint(spec, real_name, storage):
    # A pattern written without the leading underscore is the usual slip (ym* for _ym_uid).
    misses = [
        describe_pattern(item)
        for _category, items in spec.catalog.categories()
        for item in items
        if item.storage == storage and item_matches(item, real_name.lstrip("_"))
    ]
    return f" ({', '.join(misses)} does not match it)" if misses else ""


def _check_unclearable(spec):
    site_domains = _site_domains(spec)
    for category, items in spec.catalog.categories():
        for item in items:
            if item.storage != StorageKind.COOKIE:
                continue
            label = f"{category} item {describe_pattern(item)}"
            if item.domain and not _within(item.domain, site_domains):
                yield Finding(
                    "cannot-clear",
                    f"{label} lives on {item.domain}; the site cannot clear it on withdrawal",
                )
                continue
            for tracker in TRACKERS.values():
                covered = [cookie for cookie in tracker.third_party if item_matches(item, cookie)]
                if covered:
                    yield Finding(
                        "cannot-clear",
                        f"{label} also covers {', '.join(covered)}, {tracker.label} cookies on "
                        f".{tracker.vendor_domain}; the site cannot clear them on withdrawal",
                    )


def _check_advertising_as_analytics(spec):
    for item in spec.catalog.analytical:
        covered = [name for name in ADVERTISING_IDENTIFIERS if item_matches(item, name)]
        if covered:
            yield Finding(
                "advertising-as-analytics",
                f"analytical item {describe_pattern(item)} holds the advertising identifier "
                f"{', '.join(covered)}; file it under marketing",
            )


def _check_lifetimes(spec):
    for category, items in spec.catalog.categories():
        for item in items:
            if item.lifetime is None and item.storage != StorageKind.PIXEL:
                yield Finding(
                    "missing-lifetime",
                    f"{category} item {describe_pattern(item)} has no lifetime",
                )


def _check_patterns(spec):
    # Only a site stored before the safe subset can hold one; saving it again is refused.
    for category, items in spec.catalog.categories():
        for index, item in enumerate(items):
            problem = item.match is MatchKind.REGEX and pattern_problem(item.name)
            if problem:
                yield Finding(
                    "unsafe-pattern",
                    f"catalog.{category}[{index}].name {item.name!r} {problem}; it is never "
                    "run (nothing matches it, nothing is cleared by it) until it is rewritten",
                )


def _check_gate_storage(spec):
    # The service lists its own keys in every site's mandatory category, in every language.
    for category, items in spec.catalog.categories():
        for item in items:
            for key in GATE_STORAGE:
                if item.storage != key.storage or not item_matches(item, key.name):
                    continue
                where = "" if category == "mandatory" else (
                    f"; it is strictly necessary, not {category}")
                yield Finding(
                    "gate-storage",
                    f"{category} item {describe_pattern(item)} covers {key.name}, which Consent "
                    f"Gate writes and declares itself{where}; remove the item",
                )


def _storage_label(storage):
    return "cookie" if storage == StorageKind.COOKIE else f"{storage.value} key"


def _site_domains(spec):
    return {origin.split("://", 1)[1].split(":")[0] for origin in spec.origins}


def _within(domain, site_domains):
    # A cookie domain is clearable when it is a site host or one of its parent domains.
    bare = domain.lstrip(".")
    return any(host == bare or host.endswith(f".{bare}") for host in site_domains)
