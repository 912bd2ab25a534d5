"""RFC 3161 time-stamps on checkpoints, from an authority outside the operator (no Flask inside).

A checkpoint's signature proves who signed it, not when: the operator holds the key and could
sign a rewritten history with any date. A time-stamping authority (TSA) countersigns the
checkpoint's digest with its own clock, so the checkpoint provably existed by then (the CNIL's
"condensat horodaté"). The token is fetched after the checkpoint is committed: a TSA that is
down delays the token, never a consent.
"""
import base64
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from rfc3161_client import (
    HashAlgorithm,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from app.ledger.checkpoints import stored_payload

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"


class TimestampError(Exception):
    """A token could not be had, or does not hold; the message says why."""


def load_certificates(path):
    """Read the PEM certificates that vouch for the TSA; raise TimestampError naming the file."""
    try:
        with open(path, "rb") as file:
            certificates = x509.load_pem_x509_certificates(file.read())
    except OSError as error:
        raise TimestampError(f"{path}: {error.strerror}") from None
    except ValueError as error:
        raise TimestampError(f"{path}: not PEM certificates ({error})") from None
    return certificates


class TokenVerifier:
    """Check tokens against the TSA's CA certificates (self-signed ones are the roots)."""

    def __init__(self, certificates):
        self.roots = [c for c in certificates if c.issuer == c.subject]
        self.intermediates = [c for c in certificates if c.issuer != c.subject]
        if not self.roots:
            raise TimestampError("the TSA certificates hold no root (self-signed) certificate")

    def check(self, token, payload, request=None):
        """Return the token's time when it is a valid TSA token over payload; else raise."""
        try:
            response = decode_timestamp_response(base64.b64decode(token, validate=True))
        except ValueError as error:
            raise TimestampError(f"the token is not a time-stamp reply ({error})") from None
        builder = VerifierBuilder.from_request(request) if request else VerifierBuilder()
        for root in self.roots:
            builder = builder.add_root_certificate(root)
        for intermediate in self.intermediates:
            builder = builder.add_intermediate_certificate(intermediate)
        try:
            builder.build().verify_message(response, payload)
        except VerificationError as error:
            raise TimestampError(f"the token does not hold ({error})") from None
        return response.tst_info.gen_time.astimezone(UTC)


class TsaClient:
    """Ask a TSA over HTTP(S) for tokens, and check each against its certificates."""

    def __init__(self, url, verifier, timeout=5.0):
        self.url, self.verifier, self.timeout = url, verifier, timeout
        # An https TSA is trusted as the system trusts it, or as its own CA vouches for it.
        self._tls = ssl.create_default_context()
        for certificate in verifier.roots + verifier.intermediates:
            self._tls.load_verify_locations(cadata=certificate.public_bytes(Encoding.PEM).decode())

    def stamp(self, payload):
        """Return (token as base64 text, its time) for payload; raise TimestampError."""
        query = TimestampRequestBuilder().data(payload).hash_algorithm(HashAlgorithm.SHA256).build()
        request = urllib.request.Request(self.url, data=query.as_bytes(), method="POST",
                                         headers={"Content-Type": QUERY_TYPE})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self._tls) as reply:
                body = reply.read(1 << 20)
        except urllib.error.HTTPError as error:
            error.close()
            raise TimestampError(f"the TSA at {self.url} answered {error.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise TimestampError(f"the TSA at {self.url} did not answer ({error})") from None
        token = base64.b64encode(body).decode("ascii")
        return token, self.verifier.check(token, payload, query)


@dataclass(frozen=True)
class TimestampReport:
    """What verification found about the checkpoints' tokens."""

    stamped: int
    #: Checkpoints without a token yet, signed within the grace period.
    pending: int
    problem: str = ""


def check_tokens(checkpoints, payload_of, verifier, now, grace, max_delay):
    """Check every checkpoint's token; a missing one older than grace, a token over another
    digest or from another authority, or one taken more than max_delay after the checkpoint
    says it was signed (a back-dated checkpoint) is a problem naming the checkpoint.

    grace and max_delay are timedeltas; payload_of(checkpoint) gives the signed bytes.
    """
    stamped = pending = 0
    for checkpoint in checkpoints:
        where = f"checkpoint of {checkpoint.site_id} at seq {checkpoint.seq}"
        signed_at = datetime.fromisoformat(checkpoint.created_at)
        if not checkpoint.tsa_token:
            if now - signed_at <= grace:
                pending += 1
                continue
            return TimestampReport(stamped, pending,
                                   f"{where}: has no time-stamp token, though a TSA is configured")
        try:
            stamped_at = verifier.check(checkpoint.tsa_token, payload_of(checkpoint))
        except TimestampError as error:
            return TimestampReport(stamped, pending, f"{where}: {error}")
        if stamped_at - signed_at > max_delay:
            return TimestampReport(
                stamped, pending, f"{where}: says it was signed at {checkpoint.created_at} but "
                f"the TSA first saw it at {stamped_at.isoformat()} (back-dated?)")
        stamped += 1
    return TimestampReport(stamped, pending)


def stamp_pending(ledger, client, commit, limit=100):
    """Fetch tokens for checkpoints that have none, oldest first, committing each; stop at the
    first failure (the TSA is down: the next round tries again). Return (stamped, error)."""
    stamped = 0
    for checkpoint in ledger.unstamped(limit):
        try:
            token, stamped_at = client.stamp(stored_payload(checkpoint))
        except TimestampError as error:
            return stamped, error
        ledger.store_token(checkpoint.id, token, stamped_at)
        commit()
        stamped += 1
    return stamped, None
