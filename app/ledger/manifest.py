"""An export's manifest: what the file holds, the checkpoints that cover it, signed (no Flask).

The manifest is signed with the ledger's Ed25519 key over its canonical JSON, so nothing in it
(the file's SHA-256, the counts, the end hashes, the query, whether the export is contiguous,
the checkpoints) can be changed or dropped without the key. Each exported row is covered by the
first signed checkpoint at or after it. A contiguous export links row to row, so the verifier
checks that offline; a filtered one skips rows, so before signing, the service verifies each
site's whole chain (as ledger verify does) and the manifest says what it found.
"""
from bisect import bisect_left

from sqlalchemy import select

from app.ledger.audit import coverage_warning, verify_site
from app.ledger.checkpoint_log import linked_digests, verify_checkpoint_log
from app.ledger.checkpoints import key_id, public_pem, sign
from app.ledger.proof import canonical_bytes
from app.ledger.repository import LedgerRepository
from app.ledger.tables import Checkpoint
from app.tables import utc_now

#: What the manifest tells of each checkpoint: all an offline verifier needs to check it.
CHECKPOINT_FIELDS = ("seq", "head_hash", "created_at", "kind", "key_id", "signature",
                     "prev_digest", "digest", "tsa_token", "tsa_time")


class Coverage:
    """Which signed checkpoint covers each exported row of each site: the first at or after it.

    Rows arrive in chain order; what is kept per site is one interval per covering checkpoint,
    so memory stays small however many rows an export holds.
    """

    def __init__(self, session, site_ids):
        self.checkpoints = {site_id: [] for site_id in site_ids}
        for row in session.execute(
                select(Checkpoint.site_id, *[getattr(Checkpoint, name) for name in CHECKPOINT_FIELDS])
                .where(Checkpoint.site_id.in_(list(site_ids)))
                .order_by(Checkpoint.site_id, Checkpoint.seq, Checkpoint.id)):
            self.checkpoints[row[0]].append(dict(zip(CHECKPOINT_FIELDS, row[1:], strict=True)))
        self._seqs = {site_id: [c["seq"] for c in found if c["kind"] == "checkpoint"]
                      for site_id, found in self.checkpoints.items()}
        #: site -> [[first row seq, covering checkpoint seq], ...] in chain order
        self.intervals = {}
        #: site -> [rows without a covering checkpoint, the newest such seq]
        self.uncovered = {}

    def add(self, rows):
        """Note the covering checkpoint of each exported row (site_id, seq, ...)."""
        for row in rows:
            site_id, seq = row[0], row[1]
            seqs = self._seqs.get(site_id, ())
            index = bisect_left(seqs, seq)
            if index == len(seqs):
                entry = self.uncovered.setdefault(site_id, [0, None])
                entry[0] += 1
                entry[1] = seq
                continue
            intervals = self.intervals.setdefault(site_id, [])
            if not intervals or intervals[-1][1] != seqs[index]:
                intervals.append([seq, seqs[index]])

    def summary(self, site_id, site, contiguous):
        """Return the manifest's coverage entry of a site (site: its count, first and last seq).

        A contiguous run is covered up to the last checkpoint that lands on one of its rows,
        since only that one the verifier can link the rows to.
        """
        if site["last_seq"] is None:
            return {"covered": 0, "uncovered": 0, "newest_uncovered_seq": None}
        if contiguous:
            landed = [seq for seq in self._seqs[site_id] if seq <= site["last_seq"]]
            covered = max(0, landed[-1] - site["first_seq"] + 1) if landed else 0
            uncovered = site["record_count"] - covered
            newest = site["last_seq"] if uncovered else None
        else:
            uncovered, newest = self.uncovered.get(site_id, (0, None))
            covered = site["record_count"] - uncovered
        return {"covered": covered, "uncovered": uncovered, "newest_uncovered_seq": newest}

    def carried(self, site_id, last_seq, contiguous):
        """Return the checkpoints the manifest carries for a site.

        A contiguous export carries every one up to its last row (its anchors among them); a
        filtered one its anchors and the checkpoints that cover its rows.
        """
        found = self.checkpoints[site_id]
        if last_seq is None:
            return []
        if contiguous:
            return [c for c in found if c["seq"] <= last_seq]
        covering = {end for _start, end in self.intervals.get(site_id, ())}
        return [c for c in found if c["kind"] == "anchor" or c["seq"] in covering]


def manifest_payload(manifest):
    """Return the bytes a manifest's signature covers: its canonical JSON without signature."""
    return canonical_bytes({key: value for key, value in manifest.items() if key != "signature"})


def sign_manifest(manifest, private_key):
    """Return the manifest with key_id and an Ed25519 signature over everything else."""
    signed = {**manifest, "key_id": key_id(private_key.public_key())}
    signed["signature"] = sign(private_key, manifest_payload(signed))
    return signed



def build_manifest(session, facts, query, tallied, coverage, site_ids, private_key,
                   verify_workers=None, due_within=None):
    """Return the signed manifest of an export.

    facts holds the file's format, SHA-256, count and end hashes; tallied each site's count and
    first and last seq. Before signing for a site, its whole stored chain is verified as
    ledger verify does (a filtered file cannot show a row that was dropped or changed, the
    chain can), and the checkpoint log with it; the manifest says what was found.
    """
    contiguous = not query.filters_rows()
    public_key = private_key.public_key()
    url = session.get_bind().url.render_as_string(hide_password=False)
    sites = {}
    for site_id in site_ids:
        site = tallied.get(site_id, {"record_count": 0, "first_seq": None, "last_seq": None})
        sites[site_id] = {**site, "contiguous": contiguous,
                          "coverage": coverage.summary(site_id, site, contiguous),
                          "checkpoints": coverage.carried(site_id, site["last_seq"], contiguous),
                          "chain": _chain_found(session, url, site_id, public_key,
                                                verify_workers, due_within)}
    log = LedgerRepository(session).checkpoint_log()
    log_problem = verify_checkpoint_log(log, public_key)
    manifest = {**facts, "sites": sites,
                "checkpoint_log": {"intact": not log_problem, "problem": log_problem,
                                   "latest_digest": (linked_digests(log) or [None])[-1]},
                "public_key": public_pem(private_key), "query": query.as_dict(),
                "generated_at": utc_now().isoformat()}
    return sign_manifest(manifest, private_key)


def _chain_found(session, url, site_id, public_key, workers, due_within):
    verdict = verify_site(session, url, site_id, public_key, workers)
    late = (coverage_warning(session, site_id, due_within, utc_now())
            if verdict.ok and due_within is not None else "")
    return {"verified": verdict.ok, "records": verdict.count, "problem": verdict.problem,
            "warning": late}
