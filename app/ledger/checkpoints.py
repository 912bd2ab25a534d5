"""Signed checkpoints: the chain's head, count and time, signed with the service's Ed25519 key.

Anyone holding the public key can check a checkpoint; nobody without the private key can make one,
so a ledger rewritten after a checkpoint no longer matches it.
"""
import base64
import hashlib
import re
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.ledger.proof import canonical_bytes


class SigningKeyError(Exception):
    """The ledger signing key is missing or unreadable; the message names the file."""


def generate_key(path):
    """Write a new Ed25519 private key (PEM) to path, readable by its owner only."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_bytes(pem)
    return key


def load_key(path):
    """Read the private key from path; raise SigningKeyError naming the file."""
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except FileNotFoundError:
        raise SigningKeyError(
            f"{path}: no ledger signing key; create one with: flask --app wsgi ledger keygen"
        ) from None
    except ValueError as error:
        raise SigningKeyError(f"{path}: not a PEM private key ({error})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path}: the ledger signing key must be Ed25519")
    return key


def public_pem(key):
    """Return the public half of a private key as PEM text."""
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def key_id(public_key):
    """Return a short fingerprint of a public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


#: What the first checkpoint of the log links to.
LOG_GENESIS = "0" * 64
#: A checkpoint digest as printed and taken: lowercase SHA-256 hex.
DIGEST = re.compile(r"[0-9a-f]{64}")


def read_digest(text):
    """Return a checkpoint digest typed or pasted by a person, as stored; None when it is not one."""
    digest = text.strip().lower()
    return digest if DIGEST.fullmatch(digest) else None


def checkpoint_payload(site_id, seq, head_hash, created_at, kind, prev=None):
    """Return the exact bytes a checkpoint signature covers: kind, and the log link when set."""
    fields = {"site": site_id, "seq": seq, "head_hash": head_hash, "time": created_at,
              "kind": kind}
    if prev is not None:
        fields["prev"] = prev
    return canonical_bytes(fields)


def stored_payload(checkpoint):
    """Return the bytes a stored checkpoint's signature covers."""
    return checkpoint_payload(checkpoint.site_id, checkpoint.seq, checkpoint.head_hash,
                              checkpoint.created_at, checkpoint.kind, checkpoint.prev_digest)


def payload_digest(payload):
    """Return the digest that the next checkpoint of the log links to."""
    return hashlib.sha256(payload).hexdigest()


def sign(key, payload):
    """Return a base64 Ed25519 signature."""
    return base64.b64encode(key.sign(payload)).decode("ascii")


def signature_holds(public_key, payload, signature):
    """Tell whether a base64 signature over payload was made by public_key's private key."""
    if not isinstance(public_key, Ed25519PublicKey):
        return False
    try:
        public_key.verify(base64.b64decode(signature), payload)
        return True
    except (InvalidSignature, ValueError):
        return False
