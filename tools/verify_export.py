#!/usr/bin/env python3
"""Verify a Consent Gate export offline: python verify_export.py FILE MANIFEST [--public-key PEM].

Needs only Python 3.11 and the `cryptography` package. It checks every row's hash, the links
between rows of a site, the signed checkpoints, and the file's SHA-256, record count and first
and last record hash against the manifest. Pin the key you fetched yourself from
/api/v1/ledger/public-key with --public-key: the manifest's own copy proves nothing alone.
Exit 0 with a one-line summary, or 1 with the first problem.
"""
import argparse
import base64
import csv
import hashlib
import io
import json
import sys
from datetime import datetime

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


def canonical_bytes(value):
    """Serialize as the ledger does: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def checkpoint_payload(site_id, seq, head_hash, created_at, kind, prev=None):
    """The exact bytes a checkpoint signature covers (as app/ledger/checkpoints.py signs them)."""
    fields = {"site": site_id, "seq": seq, "head_hash": head_hash, "time": created_at,
              "kind": kind}
    if prev is not None:
        fields["prev"] = prev  # the checkpoint log's link to the checkpoint signed before
    return canonical_bytes(fields)


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


def check_signatures(manifest, key):
    for site_id, site in sorted(manifest["sites"].items()):
        for checkpoint in site["checkpoints"]:
            payload = checkpoint_payload(site_id, checkpoint["seq"], checkpoint["head_hash"],
                                         checkpoint["created_at"], checkpoint["kind"],
                                         checkpoint.get("prev_digest"))
            try:
                key.verify(base64.b64decode(checkpoint["signature"], validate=True), payload)
            except (InvalidSignature, ValueError):
                raise Bad(f"checkpoint {site_id} seq {checkpoint['seq']}: the signature does not "
                          "verify (forged or altered)") from None


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


def verify(path, manifest, pinned_pem=None):
    """Return a one-line summary, or raise Bad naming the first problem."""
    key = load_key(manifest["public_key"], "manifest public_key") if manifest.get("public_key") else None
    if pinned_pem is not None:
        pinned = load_key(pinned_pem, "--public-key")
        if key is not None and raw_key(key) != raw_key(pinned):
            raise Bad("public_key: the manifest's key is not the pinned key")
        key = pinned
    if key is not None:
        check_signatures(manifest, key)
    checkpoints = {site_id: {} for site_id in manifest["sites"]}
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
        last[site_id] = (seq, row["record_hash"])
        counts[site_id] = counts.get(site_id, 0) + 1
        first_hash = first_hash or row["record_hash"]
        last_hash = row["record_hash"]
        count += 1
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
    signed = sum(len(site["checkpoints"]) for site in manifest["sites"].values())
    signatures = f"{signed} checkpoint signatures valid" if key else (
        f"{signed} checkpoint signatures NOT checked (no public key)")
    return (f"OK: {count} records from {len(counts)} site(s), hashes and links intact, "
            f"{signatures}, file SHA-256 {manifest['file_sha256']} matches the manifest")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", help="the exported file (CSV, JSON or NDJSON)")
    parser.add_argument("manifest", help="its manifest (JSON)")
    parser.add_argument("--public-key", help="PEM public key to pin (from /api/v1/ledger/public-key)")
    options = parser.parse_args(argv)
    try:
        with open(options.manifest, encoding="utf-8") as file:
            manifest = json.load(file)
        pinned = None
        if options.public_key:
            with open(options.public_key, encoding="utf-8") as file:
                pinned = file.read()
        print(verify(options.file, manifest, pinned))
    except Bad as problem:
        print(f"FAILED: {problem}", file=sys.stderr)
        return 1
    except UnicodeDecodeError:
        print(f"FAILED: {options.file}: not UTF-8 text", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"FAILED: {error.filename}: {error.strerror}", file=sys.stderr)
        return 1
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        print(f"FAILED: the manifest is malformed ({type(error).__name__}: {error})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
