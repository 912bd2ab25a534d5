"""Fakes for the service layer (cosmicpython's FakeRepository): no database, no browser, no app."""
import hashlib
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from app.ledger.append import Appended, EventConflict, SiteChanged, Stored
from app.ledger.limits import ReportLimiter
from app.ledger.proof import GENESIS_HASH, chain_hash, receipt_serializer
from app.ledger.report import ConsentReport
from app.ledger.service import ClientContext
from app.ledger.subjects import ConsentIdTaken, SubjectNotProven
from app.sites.catalog import content_hash
from app.sites.trackers import site_loadable_trackers

ORIGIN = "https://shop.example"
BUILD = "b" * 16
CATALOG = {"mandatory": [{"name": "session", "match": "exact", "storage": "cookie",
                          "provider": "first_party", "purpose": {"en": "Log-in"},
                          "lifetime": "session", "domain": None}],
           "analytical": [{"name": "_ym_uid", "match": "exact", "storage": "cookie",
                           "provider": "Yandex LLC", "purpose": {"en": "Statistics"},
                           "lifetime": "1 year", "domain": None}],
           "marketing": []}


class FakeSites:
    """The intake's view of sites (SiteReader) over plain dicts; stamps count edits."""

    def __init__(self):
        self.rows, self.catalogs, self.text_sets, self.builds = {}, {}, {}, {BUILD}
        self.snapshots, self.reads = {}, 0

    def add(self, site_id="shop", **settings):
        """Store a site with sensible settings, one catalog version and one text set."""
        row = dict(id=site_id, origins=[ORIGIN], regime=["gdpr"], client_ip="truncate",
                   retention_days=1095, privacy_policy_version="v1",
                   consent_document_version=None, catalog_version=1, default_language="en",
                   document_digests={},
                   trackers={"yandex_metrica": "12345678"}, stamp=1)
        row.update(settings)
        self.rows[site_id] = row
        self.catalogs[(site_id, 1)] = SimpleNamespace(
            version=1, content_hash=content_hash(CATALOG), content=CATALOG,
            categories=list(CATALOG))
        self.text_sets["7" * 64] = site_id
        return row

    def edit(self, site_id, **settings):
        """Change a site's settings as the console would: a new stamp."""
        row = self.rows[site_id]
        row.update(settings, stamp=row["stamp"] + 1)

    def site(self, site_id, refresh=False):
        if refresh or site_id not in self.snapshots:
            self.reads += 1
            row = self.rows.get(site_id)
            if row is None:
                return None
            versions = {kind: {v for k, v in row["document_digests"] if k == kind}
                        for kind in ("policy", "consent")}
            self.snapshots[site_id] = SimpleNamespace(
                **row, policy_versions={row["privacy_policy_version"], *versions["policy"]},
                consent_document_versions={row["consent_document_version"],
                                           *versions["consent"]})
        return self.snapshots[site_id]

    def is_current(self, snapshot):
        return snapshot.stamp == self.rows[snapshot.id]["stamp"]

    def catalog(self, site_id, version):
        return self.catalogs.get((site_id, version))

    def text_set_site(self, digest):
        return self.text_sets.get(digest)

    def is_served_build(self, build):
        return build in self.builds

    def tracker_categories(self, site, catalog):
        # As the real reader: only the trackers the gate may load.
        return {name: "analytical" for name in site_loadable_trackers(site)}


class FakeLedger:
    """An in-memory chain per site with the append's rules: linear, idempotent per event id,
    refused under a stale site stamp, a subject's secret and consent ids bound to it."""

    def __init__(self, sites):
        self.sites, self.records, self.texts = sites, {}, {}
        self.subject_secrets, self.consent_owners = {}, {}

    def append(self, site_id, event_id, content, site_stamp):
        if self.sites.rows[site_id]["stamp"] != site_stamp:
            raise SiteChanged(site_id)
        chain = self.records.setdefault(site_id, [])
        for record in chain:
            if record.event_id == event_id:
                if {k: record.content[k] for k in ("consent_id", "event", "choices")} != {
                        k: content[k] for k in ("consent_id", "event", "choices")}:
                    raise EventConflict(event_id)
                return Appended(Stored(record.record_id, record.seq, record.record_hash), False)
        self._bind_subject(site_id, content)
        prev = chain[-1].record_hash if chain else GENESIS_HASH
        record = SimpleNamespace(
            site_id=site_id, seq=len(chain) + 1, event_id=event_id, content=content,
            record_id=f"r-{site_id}-{len(chain) + 1}", prev_hash=prev,
            record_hash=chain_hash(prev, content), subject_id=content["subject_id"],
            event=content["event"])
        chain.append(record)
        return Appended(Stored(record.record_id, record.seq, record.record_hash), True)

    def _bind_subject(self, site_id, content):
        subject = (site_id, content["subject_id"])
        known = self.subject_secrets.setdefault(subject, content["subject_secret_hash"])
        if known != content["subject_secret_hash"]:
            raise SubjectNotProven(subject)
        owner = self.consent_owners.setdefault((site_id, content["consent_id"]), subject)
        if owner != subject:
            raise ConsentIdTaken(content["consent_id"])

    def by_record_id(self, record_id):
        return next((r for chain in self.records.values() for r in chain
                     if r.record_id == record_id), None)

    def text_set(self, digest):
        return self.texts.get(digest)

    def history(self, site_id, subject_id):
        return [r for r in self.records.get(site_id, []) if r.subject_id == subject_id]


@pytest.fixture
def sites():
    """Fake sites holding one site, "shop"."""
    fake = FakeSites()
    fake.add()
    return fake


@pytest.fixture
def ledger(sites):
    """A fake ledger over the fake sites."""
    return FakeLedger(sites)


@pytest.fixture
def limits():
    """Rate limits as the app's config holds them; tests may change them."""
    return {"RATE_LIMIT_CLIENT": "1000/minute", "RATE_LIMIT_SITE": "10000/minute"}


@pytest.fixture
def intake(sites, ledger, limits):
    """Factory: call record_consent with the fakes, a fixed clock and a real receipt signer."""
    from app.ledger.service import record_consent

    limiter = ReportLimiter(limits)
    clock = lambda: datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # noqa: E731
    receipts = receipt_serializer("unit-test-secret")

    def record(report, client=None):
        return record_consent(report, client or make_client(), sites=sites, ledger=ledger,
                              limiter=limiter, clock=clock, receipts=receipts)

    record.receipts = receipts
    return record


def make_client(ip="203.0.113.7", origin=ORIGIN, user_agent="Mozilla/5.0 Firefox/120.0"):
    """Return what a request tells the service about its visitor."""
    return ClientContext(ip, user_agent, b"k" * 32, origin, "https://consent.example/")


@pytest.fixture
def make_report():
    """Factory: a valid report for the fake shop, with fields overridden."""
    counter = iter(range(1, 1_000_000))

    def make(**overrides):
        number = next(counter)
        subject = overrides.pop("subject_id", "subject-0001")
        fields = dict(
            event_id=f"event-{number:04d}", consent_id=f"consent-{number:04d}",
            subject_id=subject, subject_secret=secret_of(subject), site="shop",
            event="grant", ui_action="accept_all",
            choices={"mandatory": True, "analytical": True, "marketing": False},
            catalog_version=1, policy_version="v1", language="en", texts_digest="7" * 64,
            banner_build=BUILD, page=f"{ORIGIN}/cart?item=1", client_time="2026-12-01T12:00:00Z",
            expires="2027-06-01T12:00:00Z")
        fields.update(overrides)
        return ConsentReport.model_validate(fields)

    return make


def secret_of(subject):
    """Return the subject secret a browser would keep for a subject (stable per subject)."""
    return hashlib.sha256(subject.encode()).hexdigest()[:32]
