"""Hashes and signatures that make the ledger tamper-evident."""
import hashlib
import json

from itsdangerous import BadSignature, URLSafeSerializer

#: The previous hash of a site's first record.
GENESIS_HASH = "0" * 64
RECEIPT_SALT = "consent-gate.receipt"


def canonical_text(content):
    """Serialize record content identically everywhere: sorted keys, no spaces, not ASCII-escaped."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_bytes(content):
    """Return the canonical content as UTF-8 bytes: what the record hash covers."""
    return canonical_text(content).encode()


def chain_hash(prev_hash, content):
    """Return the record hash: SHA-256 over the previous hash and the canonical content."""
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical_bytes(content)).hexdigest()


class ReceiptError(Exception):
    """A receipt is forged, altered or malformed."""


def receipt_serializer(secret_key):
    """Return the signer for receipts under the service's secret."""
    return URLSafeSerializer(secret_key, salt=RECEIPT_SALT)


def sign_receipt(serializer, site_id, record_id, record_hash):
    """Return a receipt a visitor can keep and anyone can check with this service."""
    return serializer.dumps({"s": site_id, "r": record_id, "h": record_hash})


def read_receipt(serializer, receipt):
    """Return (site_id, record_id, record_hash) from a receipt, or raise ReceiptError."""
    try:
        data = serializer.loads(receipt)
        return str(data["s"]), str(data["r"]), str(data["h"])
    except (BadSignature, KeyError, TypeError, UnicodeDecodeError) as error:
        raise ReceiptError("the receipt's signature does not match") from error
