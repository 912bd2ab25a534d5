"""Search consent records: one query shape for the console, exports and the CLI (no Flask inside)."""
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.ledger.append import begin_immediate
from app.ledger.repository import LedgerRepository
from app.ledger.tables import ConsentRecord, LedgerHead


@dataclass(frozen=True)
class RecordQuery:
    """Which records to find; every field left None matches everything."""

    #: None: every site.
    site_ids: tuple[str, ...] | None = None
    #: server_time >= since (aware; a naive time is taken as UTC).
    since: datetime | None = None
    #: server_time < until.
    until: datetime | None = None
    #: grant, deny, update, withdraw, expire or renew.
    event: str | None = None
    consent_id: str | None = None
    subject_id: str | None = None
    record_id: str | None = None
    #: A snapshot: only rows with ConsentRecord.id <= up_to_id, so a file and a manifest
    #: computed later from the same query agree however many records arrived meanwhile.
    up_to_id: int | None = None

    def filters_rows(self):
        """Tell whether the query can leave gaps in a site's chain (anything beyond sites and snapshot)."""
        return any(value is not None for value in (self.since, self.until, self.event, self.consent_id,
                                                   self.subject_id, self.record_id))

    def as_dict(self):
        """Return the query as JSON-ready values (times in ISO 8601 UTC)."""
        return {
            "site_ids": list(self.site_ids) if self.site_ids is not None else None,
            "since": _utc(self.since).isoformat() if self.since else None,
            "until": _utc(self.until).isoformat() if self.until else None,
            "event": self.event, "consent_id": self.consent_id, "subject_id": self.subject_id,
            "record_id": self.record_id, "up_to_id": self.up_to_id,
        }


def _utc(moment):
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def filter_records(statement, query):
    """Add the query's conditions and the chain order (site, seq) to a select over ConsentRecord."""
    record = ConsentRecord
    if query.site_ids is not None:
        statement = statement.where(record.site_id.in_(query.site_ids))
    # SQLite keeps times without their zone, so both sides are compared in UTC.
    if query.since is not None:
        statement = statement.where(record.server_time >= _utc(query.since))
    if query.until is not None:
        statement = statement.where(record.server_time < _utc(query.until))
    for column, value in ((record.event, query.event), (record.consent_id, query.consent_id),
                          (record.subject_id, query.subject_id), (record.record_id, query.record_id)):
        if value is not None:
            statement = statement.where(column == value)
    if query.up_to_id is not None:
        statement = statement.where(record.id <= query.up_to_id)
    return statement.order_by(record.site_id, record.seq)


def select_records(query):
    """Return select(ConsentRecord) filtered by query, in chain order: site_id, then seq."""
    return filter_records(select(ConsentRecord), query)


def latest_record_id(session, sign_with=None, site_ids=None):
    """Return the highest ConsentRecord.id, or 0 for an empty ledger; pins a snapshot.

    With sign_with (the ledger's private key), the head of every chain the snapshot holds
    (site_ids, default all) is signed first where it moved since its last checkpoint, while no
    append can run: every record of the snapshot is then covered by a signed checkpoint, and a
    whole site's export ends exactly on one.

    PostgreSQL hands out ids before their transactions commit, so a record with a lower id could
    commit after the pin and slip into it. There the pin is read in a short transaction of its
    own once every chain head is share-locked: an append holds its site's head from its first
    statement, before its record takes an id, so no append is in flight at that moment. (On
    SQLite one writer at a time takes ids above every committed one; signing takes the write
    lock for the moment.)
    """
    engine = session.get_bind()
    postgres = engine.dialect.name == "postgresql"
    if not postgres and sign_with is None:
        return session.scalar(select(func.max(ConsentRecord.id))) or 0
    with engine.connect() as connection, connection.begin():
        if postgres:
            connection.execute(select(LedgerHead.site_id).with_for_update(read=True)).all()
        if sign_with is not None:
            _sign_heads(connection, sign_with, site_ids)
        return connection.scalar(select(func.max(ConsentRecord.id))) or 0


def _sign_heads(connection, private_key, site_ids):
    if connection.dialect.name != "postgresql":
        begin_immediate(connection)
    # The session joins the connection's transaction, which commits when the pin is read.
    with Session(bind=connection) as pinned:
        ledger = LedgerRepository(pinned)
        for site_id in site_ids if site_ids is not None else ledger.site_ids():
            ledger.add_checkpoint(site_id, private_key)
        pinned.flush()
