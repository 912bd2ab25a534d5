"""Read the ledger, and sign checkpoints and purge anchors; appends live in app.ledger.append."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import create_engine, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.pool import NullPool

from app.ledger.append import AppendRequest, append_records, begin_immediate
from app.ledger.checkpointing import moved_heads_statement
from app.ledger.checkpoints import LOG_GENESIS, checkpoint_payload, key_id, payload_digest, sign
from app.ledger.proof import GENESIS_HASH
from app.ledger.record_checks import CHAIN_COLUMNS, walk_chain
from app.ledger.tables import BannerBuild, Checkpoint, ConsentRecord, LedgerHead, TextSet
from app.tables import utc_now

#: Reads a range of a site's chain, in chain order, with the content as its stored text and,
#: last, server_time as the database renders it in ISO 8601 UTC (the content's spelling).
_CHAIN_SQL = (f"SELECT {', '.join(c + '::text' if c == 'content' else c for c in CHAIN_COLUMNS)}"
              ", {time_text} FROM consent_records"
              " WHERE site_id = {site} AND seq >= {low} AND seq <= {high} ORDER BY seq")
#: SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff" as text (UTC); PostgreSQL a timestamptz.
_TIME_TEXT = {"sqlite": "CASE WHEN length(server_time) = 26 AND substr(server_time, 11, 1) = ' '"
                        " THEN substr(server_time, 1, 10) || 'T' || substr(server_time, 12)"
                        " || '+00:00' END",
              "postgresql": "to_char(server_time AT TIME ZONE 'UTC', "
                            "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"}
_NO_BOUND = 2**31 - 1
#: Key of the PostgreSQL advisory lock that serializes signing checkpoints.
_CHECKPOINT_LOG_LOCK = 0x6367_6C6F67  # "cglog"


@dataclass(frozen=True)
class ChainHead:
    """Where a site's chain ends, as its head row says."""

    seq: int
    head_hash: str


class LedgerRepository:
    """Consent records, text sets and chain heads in one SQLAlchemy session."""

    def __init__(self, session):
        self.session = session

    def _insert(self, model):
        dialect = self.session.get_bind().dialect.name
        return (pg_insert if dialect == "postgresql" else sqlite_insert)(model)

    def store_text_set(self, site_id, language, digest, content):
        """Store a text set once under its digest; later calls change nothing."""
        statement = self._insert(TextSet).values(
            digest=digest, site_id=site_id, language=language, content=content,
            created_at=utc_now()).on_conflict_do_nothing(index_elements=["digest"])
        self.session.execute(statement)

    def store_banner_build(self, build):
        """Record a build of the banner's code as served; later calls change nothing."""
        statement = self._insert(BannerBuild).values(
            build=build, first_served_at=utc_now()).on_conflict_do_nothing(index_elements=["build"])
        self.session.execute(statement)

    def open_chain(self, site_id):
        """Start a new site's chain: its head exists before its first record, so every append
        locks a committed row (an export's pin waits on it; see latest_record_id)."""
        self.session.add(LedgerHead(site_id=site_id, seq=0, head_hash=GENESIS_HASH))

    def text_set(self, digest):
        """Return the text set with this digest, or None."""
        return self.session.get(TextSet, digest)

    def append(self, site_id, event_id, content):
        """Chain content to the site's head and store it; idempotent per event_id.

        The caller commits. Raises EventConflict when event_id names a different event.
        """
        outcome, = append_records(self.session.connection(),
                                  [AppendRequest(site_id, event_id, content)])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def by_record_id(self, record_id):
        """Return the record with this public id, or None."""
        return self.session.scalar(select(ConsentRecord).filter_by(record_id=record_id))

    def history(self, site_id, subject_id):
        """Return every record of one pseudonymous subject on a site, oldest first."""
        return list(self.session.scalars(select(ConsentRecord).filter_by(
            site_id=site_id, subject_id=subject_id).order_by(ConsentRecord.seq)))

    def head(self, site_id):
        """Return the site's chain head, or None before its first record."""
        return self.session.get(LedgerHead, site_id)

    def chain_state(self, site_id):
        """Return (head or None, lowest seq, highest seq stored) of a site's chain, read in one
        statement so appends committing meanwhile cannot make them disagree."""
        row = self.session.execute(text(
            "SELECT h.seq, h.head_hash, (SELECT min(seq) FROM consent_records r"
            " WHERE r.site_id = h.site_id), (SELECT max(seq) FROM consent_records r"
            " WHERE r.site_id = h.site_id) FROM ledger_heads h WHERE h.site_id = :site"),
            {"site": site_id}).first()
        if row is not None:
            return ChainHead(row[0], row[1]), row[2], row[3]
        low, high = self.session.execute(select(func.min(ConsentRecord.seq),
                                                func.max(ConsentRecord.seq))
                                         .where(ConsentRecord.site_id == site_id)).one()
        return None, low, high

    def lowest_seq(self, site_id):
        """Return the smallest seq stored for a site, or None."""
        return self.session.scalar(select(func.min(ConsentRecord.seq)).where(
            ConsentRecord.site_id == site_id))

    def add_checkpoint(self, site_id, private_key, unless_signed_since=None):
        """Sign the site's current head; return the checkpoint.

        Returns None before the first record, when the newest checkpoint already covers the
        head, or when one was signed at or after unless_signed_since (an aware datetime). The
        checkpoint log is locked first, so two processes asking at once sign once.
        """
        head = self.head(site_id)
        if head is None or head.seq == 0:
            return None
        prev = self._lock_checkpoint_log()
        signed_seq = self.session.scalar(select(func.max(Checkpoint.seq)).filter_by(site_id=site_id))
        if signed_seq is not None and signed_seq >= head.seq:
            return None
        last = self.last_signed_at(site_id)
        if unless_signed_since is not None and last is not None and last >= unless_signed_since:
            return None
        return self._signed(site_id, head.seq, head.head_hash, private_key, "checkpoint", prev)

    def last_signed_at(self, site_id):
        """Return when the site's newest checkpoint was signed (aware), or None."""
        created_at = self.session.scalar(select(Checkpoint.created_at).filter_by(site_id=site_id)
                                         .order_by(Checkpoint.id.desc()).limit(1))
        return datetime.fromisoformat(created_at) if created_at else None

    def moved_heads(self):
        """Return (site id, head seq, seq of its newest checkpoint or None) per non-empty chain."""
        return self.session.execute(moved_heads_statement()).all()

    def _signed(self, site_id, seq, head_hash, private_key, kind, prev=None):
        prev = prev or self._lock_checkpoint_log()
        created_at = utc_now().isoformat()
        payload = checkpoint_payload(site_id, seq, head_hash, created_at, kind, prev)
        checkpoint = Checkpoint(
            site_id=site_id, seq=seq, head_hash=head_hash, created_at=created_at, kind=kind,
            key_id=key_id(private_key.public_key()), signature=sign(private_key, payload),
            prev_digest=prev, digest=payload_digest(payload))
        self.session.add(checkpoint)
        self.session.flush()
        return checkpoint

    def _lock_checkpoint_log(self):
        """Hold the checkpoint log until commit; return the digest the next checkpoint links to.

        One writer at a time keeps the log linear across processes and nodes: PostgreSQL by a
        transaction-scoped advisory lock, SQLite by its write lock.
        """
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (_CHECKPOINT_LOG_LOCK,))
        else:
            begin_immediate(connection)
        last = self.session.scalar(select(Checkpoint.digest).where(Checkpoint.digest.is_not(None))
                                   .order_by(Checkpoint.id.desc()).limit(1))
        return last or LOG_GENESIS

    def unstamped(self, limit):
        """Return up to limit checkpoints without a time-stamp token, oldest first."""
        return list(self.session.scalars(select(Checkpoint).where(Checkpoint.tsa_token.is_(None))
                                         .order_by(Checkpoint.id).limit(limit)))

    def store_token(self, checkpoint_id, token, stamped_at):
        """Keep a checkpoint's time-stamp token, unless another process stored one first."""
        self.session.execute(update(Checkpoint).where(
            Checkpoint.id == checkpoint_id, Checkpoint.tsa_token.is_(None)).values(
            tsa_token=token, tsa_time=stamped_at.isoformat()))

    def checkpoint_log(self):
        """Return every checkpoint of every site in the order they were signed."""
        return list(self.session.scalars(select(Checkpoint).order_by(Checkpoint.id)))

    def purge_before(self, site_id, now, retention_days, private_key):
        """Delete the oldest records whose retention has run out by now, behind a signed anchor.

        A record's retention is the retention_days its hashed content names (the site's setting
        when it was recorded), else retention_days (records from before records named theirs).
        Records are chosen by the time and retention their hash covers, never by a column,
        walking the chain from its start (or its last anchor); every record walked is checked
        in full again, so a record changed in the database stops the purge with ChainFault
        before anything is deleted. Only a prefix of the chain goes, so what remains still
        links; the anchor records the hash the rest continues from. Returns the anchor, or None
        when nothing is due.
        """
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            # Appends wait while the boundary is chosen and the anchor signed.
            self.session.execute(select(LedgerHead.seq).filter_by(site_id=site_id).with_for_update())
        else:
            begin_immediate(connection)
        anchors = [c for c in self.checkpoints(site_id) if c.kind == "anchor"]
        start = (anchors[-1].seq, anchors[-1].head_hash) if anchors else (0, GENESIS_HASH)
        boundary = None
        for row, content in walk_chain(read_chain(connection, site_id), site_id, *start):
            days = content.get("retention_days", retention_days)
            if datetime.fromisoformat(content["server_time"]) + timedelta(days=days) >= now:
                break
            boundary = row
        if boundary is None:
            return None
        seq, record_hash = boundary[0], boundary[9]
        anchor = self._signed(site_id, seq, record_hash, private_key, "anchor")
        self.session.execute(delete(ConsentRecord).where(
            ConsentRecord.site_id == site_id, ConsentRecord.seq <= seq))
        return anchor

    def checkpoints(self, site_id):
        """Return a site's checkpoints, oldest first."""
        return list(self.session.scalars(select(Checkpoint).filter_by(site_id=site_id)
                                         .order_by(Checkpoint.seq, Checkpoint.id)))

    def site_ids(self):
        """Return the ids of sites with a chain (every site has one from its creation, empty at
        first), with a checkpoint (a site that had a chain) or with records (a site whose head
        was removed)."""
        heads = self.session.scalars(select(LedgerHead.site_id))
        signed = self.session.scalars(select(Checkpoint.site_id).distinct())
        recorded = self.session.scalars(select(ConsentRecord.site_id).distinct())
        return sorted({*heads, *signed, *recorded})



def read_chain(source, site_id, low=None, high=None, batch=10_000):
    """Yield a site's records with low <= seq <= high in chain order, as plain tuples.

    Rows are CHAIN_COLUMNS and server_time rendered as ISO 8601 UTC text, content as its stored
    text. source is a database URL (read over a
    connection of its own, as a verifying process does) or an open SQLAlchemy connection.
    """
    if isinstance(source, str):
        engine = create_engine(source, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                yield from read_chain(connection, site_id, low, high, batch)
        finally:
            engine.dispose()
        return
    bounds = {"site": site_id, "low": -_NO_BOUND if low is None else low,
              "high": _NO_BOUND if high is None else high}
    driver = source.connection.driver_connection
    if source.dialect.name == "postgresql":
        yield from _postgres_chain(driver, bounds)
        return
    cursor = driver.cursor()
    try:
        cursor.execute(_CHAIN_SQL.replace("::text", "").format(
            site="?", low="?", high="?", time_text=_TIME_TEXT["sqlite"]),
                       (bounds["site"], bounds["low"], bounds["high"]))
        while rows := cursor.fetchmany(batch):
            yield from rows
    finally:
        cursor.close()


def _postgres_chain(connection, bounds, batch=10_000):
    # Batches by seq, each one query whose rows psycopg reads in C: less CPU, on both sides,
    # than a binary COPY (one protocol message, and one Python step, per row) or a named cursor.
    # The index gives chain order without a sort, even before the planner has statistics.
    connection.execute("SET LOCAL enable_sort = off")
    connection.execute("SET LOCAL enable_bitmapscan = off")
    query = _CHAIN_SQL.format(site="%s", low="%s", high="%s",
                              time_text=_TIME_TEXT["postgresql"]) + f" LIMIT {int(batch)}"
    low = bounds["low"]
    with connection.cursor(binary=True) as cursor:
        while True:
            rows = cursor.execute(query, (bounds["site"], low, bounds["high"])).fetchall()
            yield from rows
            if len(rows) < batch:
                return
            low = rows[-1][0] + 1
