#!/usr/bin/env python3
"""Verify a Consent Gate export offline: python verify_export.py FILE MANIFEST --public-key PEM.

Needs only Python 3.11 and the `cryptography` package (and `rfc3161-client` to check time-stamp
tokens with --tsa-ca). It checks the manifest's signature with the key you pinned, every row's
hash and the row's columns against its hashed content, the links between rows of a site, the
signed checkpoints (and their time-stamp tokens), how many rows a signed checkpoint covers, and
the file's SHA-256, record count and first and last record hash against the manifest, and that
the service found each site's whole stored chain intact when it signed. Pin the
key you fetched yourself from /api/v1/ledger/public-key with --public-key: without it, anyone
can sign a forged manifest with a key of their own (--no-pinned-key checks it anyway, and says
so). With --screenshots ZIP it checks that every banner screenshot the manifest lists is in the
zip and hashes to its digest. Exit 0 with a one-line summary, or 1 with the first problem.
"""
import argparse
import base64
import csv
import hashlib
import io
import json
import sys
import zipfile
from bisect import bisect_left
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

GENESIS_HASH = "0" * 64
COLUMNS = ("site_id", "seq", "record_id", "event_id", "consent_id", "subject_id", "event",
           "server_time", "prev_hash", "record_hash", "content")
#: Row fields that repeat a value of the hashed content ("site" is site_id there).
REPEATED = (("site_id", "site"), ("seq", "seq"), ("record_id", "record_id"), ("event_id", "event_id"),
            ("consent_id", "consent_id"), ("subject_id", "subject_id"), ("event", "event"))


class Bad(Exception):
    """The export fails verification; the message names what and where."""


class Usage(Exception):
    """The verifier was asked to do something it will not do; the message says what to give."""


def canonical_bytes(value):
    """Serialize as the ledger does: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def checkpoint_payload(site_id, checkpoint):
    """The exact bytes a checkpoint signature covers (as app/ledger/checkpoints.py signs them)."""
    fields = {"site": site_id, "seq": checkpoint["seq"], "head_hash": checkpoint["head_hash"],
              "time": checkpoint["created_at"], "kind": checkpoint["kind"]}
    if checkpoint.get("prev_digest") is not None:
        fields["prev"] = checkpoint["prev_digest"]  # the checkpoint log's link to the one before
    return canonical_bytes(fields)


def manifest_payload(manifest):
    """The bytes the manifest's signature covers: everything but the signature itself."""
    return canonical_bytes({key: value for key, value in manifest.items() if key != "signature"})


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def read_rows(path, fmt):
    """Yield (row number, dict of fields) from the export, one row at a time."""
    with open(path, "rb") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
        if fmt == "csv":
            reader = csv.reader(text)
            header = next(reader, None)
            if header is None or tuple(header) != COLUMNS:
                raise Bad(f"header: expected the columns {','.join(COLUMNS)}")
            for number, fields in enumerate(reader, 1):
                if len(fields) != len(COLUMNS):
                    raise Bad(f"row {number}: has {len(fields)} fields, not {len(COLUMNS)}")
                yield number, dict(zip(COLUMNS, fields, strict=True))
        elif fmt in ("json", "ndjson"):
            number = 0
            for line_number, line in enumerate(text, 1):
                line = line.strip()
                if fmt == "json" and line in ("[", "]", ""):
                    continue
                if fmt == "json":
                    line = line.removesuffix(",")
                try:
                    row = json.loads(line)
                except ValueError:
                    raise Bad(f"line {line_number}: not a JSON record") from None
                number += 1
                if not isinstance(row, dict) or sorted(row) != sorted(COLUMNS):
                    raise Bad(f"row {number}: fields are not {','.join(COLUMNS)}")
                yield number, row
        else:
            raise Bad(f"manifest: unknown format {fmt!r}")


def load_key(pem_text, where):
    try:
        key = serialization.load_pem_public_key(pem_text.encode())
    except ValueError as error:
        raise Bad(f"{where}: not a PEM public key ({error})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise Bad(f"{where}: not an Ed25519 public key")
    return key


def raw_key(key):
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key):
    return hashlib.sha256(raw_key(key)).hexdigest()[:16]


def signature_holds(key, signature, payload):
    try:
        key.verify(base64.b64decode(signature, validate=True), payload)
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def manifest_key(manifest, pinned_pem):
    """Return the key to check with: the pinned one, which the manifest must name too."""
    if not manifest.get("public_key"):
        raise Bad("public_key: the manifest names no key")
    key = load_key(manifest["public_key"], "manifest public_key")
    if pinned_pem is not None:
        pinned = load_key(pinned_pem, "--public-key")
        if raw_key(key) != raw_key(pinned):
            raise Bad("public_key: the manifest's key is not the pinned key (signed by someone else)")
        key = pinned
    if not manifest.get("signature"):
        raise Bad("signature: the manifest is not signed")
    if manifest.get("key_id") != key_id(key):
        raise Bad("key_id: differs from the key that must have signed the manifest")
    if not signature_holds(key, manifest["signature"], manifest_payload(manifest)):
        raise Bad("signature: the manifest's signature does not verify (forged or altered)")
    return key


def check_checkpoints(manifest, key, tokens):
    """Check every carried checkpoint's signature, digest and time-stamp token."""
    for site_id, site in sorted(manifest["sites"].items()):
        for checkpoint in site["checkpoints"]:
            where = f"checkpoint {site_id} seq {checkpoint['seq']}"
            payload = checkpoint_payload(site_id, checkpoint)
            if not signature_holds(key, checkpoint["signature"], payload):
                raise Bad(f"{where}: the signature does not verify (forged or altered)")
            if checkpoint.get("digest") and checkpoint["digest"] != hashlib.sha256(payload).hexdigest():
                raise Bad(f"{where}: does not match its digest (altered)")
            if tokens is not None:
                tokens.check(where, checkpoint, payload)


class Tokens:
    """Check RFC 3161 tokens against the TSA's CA certificates (needs rfc3161-client)."""

    def __init__(self, ca_path, max_delay):
        try:
            import rfc3161_client
            from cryptography import x509
        except ImportError:
            raise Usage("--tsa-ca needs the rfc3161-client package (pip install rfc3161-client)") \
                from None
        self.client, self.max_delay = rfc3161_client, max_delay
        with open(ca_path, "rb") as file:
            certificates = x509.load_pem_x509_certificates(file.read())
        self.roots = [c for c in certificates if c.issuer == c.subject]
        self.intermediates = [c for c in certificates if c.issuer != c.subject]
        if not self.roots:
            raise Usage(f"--tsa-ca {ca_path}: holds no root (self-signed) certificate")
        self.stamped = self.missing = 0

    def check(self, where, checkpoint, payload):
        if not checkpoint.get("tsa_token"):
            self.missing += 1
            return
        builder = self.client.VerifierBuilder()
        for root in self.roots:
            builder = builder.add_root_certificate(root)
        for intermediate in self.intermediates:
            builder = builder.add_intermediate_certificate(intermediate)
        try:
            response = self.client.decode_timestamp_response(
                base64.b64decode(checkpoint["tsa_token"], validate=True))
            builder.build().verify_message(response, payload)
        except (ValueError, self.client.VerificationError) as error:
            raise Bad(f"{where}: its time-stamp token does not hold ({error})") from None
        signed_at = datetime.fromisoformat(checkpoint["created_at"])
        if response.tst_info.gen_time - signed_at > self.max_delay:
            raise Bad(f"{where}: says it was signed at {checkpoint['created_at']} but the TSA first "
                      f"saw it at {response.tst_info.gen_time.isoformat()} (back-dated?)")
        self.stamped += 1


def check_row(number, row, previous, checkpoints):
    """Check one row's hash, content and links; previous is the site's last row or None."""
    where = f"row {number} ({row['site_id']} seq {row['seq']})"
    if not all(isinstance(row[field], str) for field in ("site_id", "prev_hash", "record_hash", "content")):
        raise Bad(f"{where}: site_id, prev_hash, record_hash and content must be text")
    try:
        seq, content = int(row["seq"]), json.loads(row["content"])
    except (TypeError, ValueError):
        raise Bad(f"{where}: seq or content is malformed") from None
    record_hash = hashlib.sha256(row["prev_hash"].encode() + b"\n" + row["content"].encode()).hexdigest()
    if record_hash != row["record_hash"]:
        raise Bad(f"{where}: record_hash does not match sha256(prev_hash + \"\\n\" + content) (altered)")
    if not isinstance(content, dict):
        raise Bad(f"{where}: content is not a JSON object")
    for field, key in REPEATED:
        if str(content.get(key)) != str(row[field]):
            raise Bad(f"{where}: {field} differs from the hashed content (altered)")
    try:
        same_time = datetime.fromisoformat(row["server_time"]) == datetime.fromisoformat(
            content.get("server_time"))
    except (TypeError, ValueError):
        same_time = False
    if not same_time:
        raise Bad(f"{where}: server_time differs from the hashed content (altered)")
    if previous is not None:
        if seq <= previous[0]:
            raise Bad(f"{where}: out of order after seq {previous[0]} (rows were swapped)")
        if seq == previous[0] + 1 and row["prev_hash"] != previous[1]:
            raise Bad(f"{where}: prev_hash does not link to seq {previous[0]} (inserted or reordered)")
    if seq == 1 and row["prev_hash"] != GENESIS_HASH:
        raise Bad(f"{where}: the first record of a chain must link to the genesis hash")
    for checkpoint in checkpoints.get(seq - 1, ()):
        if row["prev_hash"] != checkpoint["head_hash"]:
            raise Bad(f"{where}: prev_hash differs from the signed {checkpoint['kind']} at seq {seq - 1}")
    for checkpoint in checkpoints.get(seq, ()):
        if row["record_hash"] != checkpoint["head_hash"]:
            raise Bad(f"{where}: differs from the signed {checkpoint['kind']} of "
                      f"{checkpoint['created_at']} (rewritten after it was signed)")
    return seq


class SiteCoverage:
    """How many of a site's rows a signed checkpoint covers, as the verifier can tell.

    A contiguous run is covered up to the last checkpoint that lands on one of its rows (the
    rows link to it). A filtered export's rows are covered by the first carried checkpoint at
    or after each, the chain between them walked by the service that signed the manifest.
    """

    def __init__(self, site):
        self.contiguous = bool(site.get("contiguous"))
        self.seqs = sorted(c["seq"] for c in site["checkpoints"] if c["kind"] == "checkpoint")
        self.landing = set(self.seqs)
        self.rows = self.covered = 0
        self.landed = None
        self.first = self.newest_uncovered = None

    def add(self, seq):
        self.rows += 1
        self.first = seq if self.first is None else self.first
        if self.contiguous:
            if seq in self.landing:  # check_row made sure the row is the one it signed
                self.landed = seq
            return
        if bisect_left(self.seqs, seq) < len(self.seqs):
            self.covered += 1
        else:
            self.newest_uncovered = seq

    def finish(self):
        if self.contiguous:
            self.covered = 0 if self.landed is None else self.landed - self.first + 1
            if self.covered < self.rows:
                self.newest_uncovered = self.first + self.rows - 1
        return self.covered


def check_coverage(site_id, site, coverage):
    """Compare what the verifier found covered with what the signed manifest says."""
    stated = site.get("coverage") or {}
    if stated.get("covered") != coverage.covered:
        raise Bad(f"sites.{site_id}.coverage: {coverage.covered} records are covered by a signed "
                  f"checkpoint, the manifest says {stated.get('covered')}")


def check_chain(site_id, site):
    """The service verified the site's whole stored chain before it signed: did it hold?"""
    chain = site.get("chain") or {}
    if not chain.get("verified"):
        raise Bad(f"sites.{site_id}.chain: the service found the stored chain broken: "
                  f"{chain.get('problem') or 'not verified'}")


def check_start(site_id, site, first_seq):
    """A contiguous run starts at the chain's first record, or right after its last purge."""
    if not site.get("contiguous") or first_seq is None:
        return
    anchors = [c["seq"] for c in site["checkpoints"] if c["kind"] == "anchor" and c["seq"] < first_seq]
    start = max(anchors, default=0) + 1
    if first_seq != start:
        raise Bad(f"sites.{site_id}: the export starts at seq {first_seq}, not at seq {start} "
                  "(records before it were removed)")


def check_screenshots(manifest, archive_path):
    """Check the banner screenshots the manifest lists against their zip; return a summary part."""
    listed = manifest.get("screenshots")
    if listed is None:
        if archive_path:
            raise Bad("screenshots: the manifest lists no screenshots, but --screenshots was given")
        return ""
    for number, shot in enumerate(listed):
        if not shot.get("intact"):
            raise Bad(f"screenshots[{number}]: the service found the stored PNG {shot['digest']} "
                      "altered (its bytes no longer matched its digest)")
    if listed and not archive_path:
        raise Bad(f"screenshots: the manifest lists {len(listed)} banner screenshots; give "
                  "--screenshots ZIP, the archive exported with it")
    if archive_path:
        try:
            with zipfile.ZipFile(archive_path) as archive:
                for number, shot in enumerate(listed):
                    check_png(number, shot, archive, archive_path)
        except zipfile.BadZipFile:
            raise Bad(f"{archive_path}: not a zip archive") from None
    return f", {len(listed)} banner screenshots match their SHA-256"


def check_png(number, shot, archive, archive_path):
    name = f"screenshots/{shot['digest']}.png"
    try:
        data = archive.read(name)
    except KeyError:
        raise Bad(f"screenshots[{number}]: {name} is missing from {archive_path}") from None
    if hashlib.sha256(data).hexdigest() != shot["digest"]:
        raise Bad(f"screenshots[{number}]: {name} does not hash to its digest (altered or swapped)")
    size = (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big"))
    if not data.startswith(b"\x89PNG\r\n\x1a\n") or size != (shot["width"], shot["height"]):
        raise Bad(f"screenshots[{number}]: {name} is not a {shot['width']}x{shot['height']} PNG")


def verify(path, manifest, pinned_pem=None, tokens=None, screenshots=None):
    """Return a one-line summary, or raise Bad naming the first problem."""
    key = manifest_key(manifest, pinned_pem)
    log = manifest.get("checkpoint_log") or {}
    if not log.get("intact"):
        raise Bad(f"checkpoint_log: the service found the checkpoint log broken: "
                  f"{log.get('problem') or 'not checked'}")
    check_checkpoints(manifest, key, tokens)
    checkpoints = {site_id: {} for site_id in manifest["sites"]}
    coverage = {site_id: SiteCoverage(site) for site_id, site in manifest["sites"].items()}
    for site_id, site in manifest["sites"].items():
        for checkpoint in site["checkpoints"]:
            checkpoints[site_id].setdefault(checkpoint["seq"], []).append(checkpoint)
    counts, last = {}, {}
    first_hash = last_hash = None
    count = 0
    for number, row in read_rows(path, manifest["format"]):
        site_id = row["site_id"]
        if site_id not in checkpoints:
            raise Bad(f"row {number}: site {site_id!r} is not in the manifest")
        if last and site_id != next(reversed(last)) and site_id in last:
            raise Bad(f"row {number} ({site_id} seq {row['seq']}): the site's rows are not together")
        previous = last.get(site_id)
        seq = check_row(number, row, previous, checkpoints[site_id])
        if (previous is not None and manifest["sites"][site_id].get("contiguous")
                and seq != previous[0] + 1):
            raise Bad(f"row {number} ({site_id} seq {seq}): expected seq {previous[0] + 1} "
                      "(records are missing or out of order)")
        coverage[site_id].add(seq)
        last[site_id] = (seq, row["record_hash"])
        counts[site_id] = counts.get(site_id, 0) + 1
        first_hash = first_hash or row["record_hash"]
        last_hash = row["record_hash"]
        count += 1
    check_totals(path, manifest, count, counts, first_hash, last_hash)
    covered, newest = 0, None
    for site_id, site in sorted(manifest["sites"].items()):
        check_chain(site_id, site)
        check_start(site_id, site, coverage[site_id].first)
        covered += coverage[site_id].finish()
        check_coverage(site_id, site, coverage[site_id])
        if coverage[site_id].newest_uncovered is not None:
            newest = f"{site_id} seq {coverage[site_id].newest_uncovered}"
    shots = check_screenshots(manifest, screenshots)
    warnings = [f"{site_id}: {site['chain']['warning']}"
                for site_id, site in sorted(manifest["sites"].items()) if site["chain"].get("warning")]
    return summary(manifest, count, counts, covered, newest, pinned_pem is not None, tokens,
                   warnings, shots)


def check_totals(path, manifest, count, counts, first_hash, last_hash):
    if file_sha256(path) != manifest["file_sha256"]:
        raise Bad("file_sha256: the file's SHA-256 differs from the manifest's")
    if count != manifest["record_count"]:
        raise Bad(f"record_count: the file has {count} records, the manifest says "
                  f"{manifest['record_count']}")
    if first_hash != manifest["first_record_hash"]:
        raise Bad("first_record_hash: differs from the file's first record")
    if last_hash != manifest["last_record_hash"]:
        raise Bad("last_record_hash: differs from the file's last record")
    for site_id, site in sorted(manifest["sites"].items()):
        if counts.get(site_id, 0) != site["record_count"]:
            raise Bad(f"sites.{site_id}.record_count: the file has {counts.get(site_id, 0)} records, "
                      f"the manifest says {site['record_count']}")


def summary(manifest, count, counts, covered, newest, pinned, tokens, warnings=(), shots=""):
    signed = sum(len(site["checkpoints"]) for site in manifest["sites"].values())
    key = "key pinned" if pinned else "key NOT pinned"
    uncovered = f"; newest not covered: {newest}" if newest else ""
    stamps = ""
    if tokens is not None:
        stamps = f", {tokens.stamped} of {signed} checkpoints time-stamped"
        if tokens.missing:
            stamps += f" ({tokens.missing} NOT time-stamped)"
    return (f"OK: {count} records from {len(counts)} site(s), hashes and links intact, "
            f"manifest signature valid ({key}), {signed} checkpoint signatures valid{stamps}, "
            f"{covered} of {count} records covered by a signed checkpoint{uncovered}, "
            f"file SHA-256 {manifest['file_sha256']} matches the manifest{shots}"
            + "".join(f"; WARNING: {warning}" for warning in warnings))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", help="the exported file (CSV, JSON or NDJSON)")
    parser.add_argument("manifest", help="its manifest (JSON)")
    parser.add_argument("--public-key", help="PEM public key to pin (from /api/v1/ledger/public-key)")
    parser.add_argument("--no-pinned-key", action="store_true",
                        help="check with the manifest's own key; proves only self-consistency")
    parser.add_argument("--tsa-ca", help="PEM CA certificates of the time-stamping authority: "
                                         "check every checkpoint's time-stamp token")
    parser.add_argument("--tsa-max-delay", type=float, default=86400, metavar="SECONDS",
                        help="how long after its signing a checkpoint may be time-stamped "
                             "(default one day); later counts as back-dated")
    parser.add_argument("--screenshots", metavar="ZIP",
                        help="the banner screenshots exported with it (FILE.screenshots.zip)")
    options = parser.parse_args(argv)
    try:
        if not options.public_key and not options.no_pinned_key:
            raise Usage("give --public-key PEM (fetched yourself from /api/v1/ledger/public-key); "
                        "--no-pinned-key checks with the manifest's own key, which proves nothing "
                        "about who signed it")
        tokens = (Tokens(options.tsa_ca, timedelta(seconds=options.tsa_max_delay))
                  if options.tsa_ca else None)
        with open(options.manifest, encoding="utf-8") as file:
            manifest = json.load(file)
        pinned = None
        if options.public_key:
            with open(options.public_key, encoding="utf-8") as file:
                pinned = file.read()
        print(verify(options.file, manifest, pinned, tokens, options.screenshots))
    except Usage as problem:
        print(f"REFUSED: {problem}", file=sys.stderr)
        return 2
    except Bad as problem:
        print(f"FAILED: {problem}", file=sys.stderr)
        return 1
    except UnicodeDecodeError:
        print(f"FAILED: {options.file}: not UTF-8 text", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"FAILED: {error.filename}: {error.strerror}", file=sys.stderr)
        return 1
    except RecursionError:
        print("FAILED: the manifest is malformed (nested too deeply)", file=sys.stderr)
        return 1
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        print(f"FAILED: the manifest is malformed ({type(error).__name__}: {error})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
