"""Hashes and signatures that make the ledger tamper-evident."""
import hashlib
import json

from itsdangerous import BadSignature, Signer, URLSafeSerializer

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
    return hash_canonical(prev_hash, canonical_text(content))


def hash_canonical(prev_hash, text):
    """Return the record hash of content already serialized by canonical_text."""
    return hashlib.sha256(f"{prev_hash}\n{text}".encode()).hexdigest()


def texts_digest(site_id, language, texts):
    """Return the SHA-256 that names one site's text set in one language, as proofs record it."""
    return hashlib.sha256(canonical_bytes({"site": site_id, "language": language,
                                           "texts": texts})).hexdigest()


class ReceiptError(Exception):
    """A receipt is forged, altered or malformed."""


class _KeyOnceSigner(Signer):
    """itsdangerous' Signer, deriving the signing key once rather than for every receipt."""

    def derive_key(self, secret_key=None):
        """Return the derived key; the current secret's is kept after its first use."""
        if secret_key is not None:
            return super().derive_key(secret_key)
        if getattr(self, "_derived_key", None) is None:
            self._derived_key = super().derive_key()
        return self._derived_key


class ReceiptSigner:
    """Signs receipts as "site.record_id.record_hash.signature" (itsdangerous, HMAC).

    Receipts issued before this format (a signed, serialized JSON object) still verify.
    """

    def __init__(self, secret_key):
        # hashlib.sha1 itself (itsdangerous' default digest, looked up late) lets hmac use
        # OpenSSL's HMAC; the signatures are the same.
        self._signer = _KeyOnceSigner(secret_key, salt=RECEIPT_SALT + ".v2",
                                      digest_method=hashlib.sha1)
        self._serialized = URLSafeSerializer(secret_key, salt=RECEIPT_SALT)

    def sign(self, site_id, record_id, record_hash):
        """Return the receipt of a stored record."""
        return self._signer.sign(f"{site_id}.{record_id}.{record_hash}").decode("ascii")

    def read(self, receipt):
        """Return (site_id, record_id, record_hash), or raise ReceiptError."""
        try:
            parts = self._signer.unsign(receipt).decode("ascii").split(".")
            if len(parts) == 3:
                return tuple(parts)
        except (BadSignature, UnicodeError):
            pass
        try:
            data = self._serialized.loads(receipt)
            return str(data["s"]), str(data["r"]), str(data["h"])
        except (BadSignature, KeyError, TypeError, UnicodeError) as error:
            raise ReceiptError("the receipt's signature does not match") from error


def receipt_serializer(secret_key):
    """Return the signer for receipts under the service's secret."""
    return ReceiptSigner(secret_key)


def sign_receipt(serializer, site_id, record_id, record_hash):
    """Return a receipt a visitor can keep and anyone can check with this service."""
    return serializer.sign(site_id, record_id, record_hash)


def read_receipt(serializer, receipt):
    """Return (site_id, record_id, record_hash) from a receipt, or raise ReceiptError."""
    return serializer.read(receipt)
