"""An export's manifest: what the file holds, the checkpoints that cover it, signed (no Flask).

The manifest is signed with the ledger's Ed25519 key over its canonical JSON, so nothing in it
(the file's SHA-256, the counts, the end hashes, the query, whether the export is contiguous,
the checkpoints) can be changed or dropped without the key. Each exported row is covered by the
first signed checkpoint at or after it. A contiguous export links row to row, so the verifier
checks that offline; a filtered one skips rows, so before signing, the service walks the chain
from each exported row to its checkpoint and the manifest says what it found.
"""
from bisect import bisect_left

from sqlalchemy import select

from app.ledger.checkpoints import key_id, sign
from app.ledger.proof import canonical_bytes
from app.ledger.repository import read_chain
from app.ledger.verify import check_segment
from app.models import Checkpoint

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

    def problem(self, connection, site_id):
        """Walk the chain from each covered row to its checkpoint; return the first fault or ""."""
        signed = {c["seq"]: c for c in self.checkpoints[site_id] if c["kind"] == "checkpoint"}
        for start, end in self.intervals.get(site_id, ()):
            checkpoint = signed[end]
            segment = check_segment(read_chain(connection, site_id, start, end),
                                    {end: [(checkpoint["head_hash"], checkpoint["created_at"])]},
                                    site_id)
            if segment.problem:
                return segment.problem
            if segment.first is None or segment.first[0] != start or segment.last != (
                    end, checkpoint["head_hash"]):
                return (f"records seq {start} to {end} do not reach the checkpoint at seq {end} "
                        "(removed or rewritten)")
        return ""

    def summary(self, site_id, site, contiguous):
        """Return the manifest's coverage entry of a site (site: its count, first and last seq).

        A contiguous run is covered up to the last checkpoint that lands on one of its rows,
        since only that one the verifier can link the rows to.
        """
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

