"""What a record keeps about the visitor's browser: reduced, never raw."""
import hashlib
import hmac
import ipaddress
from functools import lru_cache
from urllib.parse import urlsplit

from ua_parser import parse as parse_user_agent


def reduce_user_agent(header):
    """Return browser family, major version and OS family; nothing that singles a browser out."""
    return dict(_reduced_user_agent(header or ""))


@lru_cache(maxsize=4096)
def _reduced_user_agent(header):
    # Parsing takes ~0.1 ms and visitors share few user agents; callers get a copy each.
    parsed = parse_user_agent(header)
    agent, system = parsed.user_agent, parsed.os
    return (
        ("browser", agent.family if agent else "Other"),
        ("version", (agent.major or "") if agent else ""),
        ("os", system.family if system else "Other"),
    )


def anonymize_ip(address, mode, key):
    """Return the address truncated to /24 (IPv4) or /48 (IPv6), or as a keyed hash."""
    return _anonymized_ip(address, mode, key)


@lru_cache(maxsize=4096)
def _anonymized_ip(address, mode, key):
    # A visitor's reports come from one address; parsing it costs more than the rest of the record.
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return None
    if mode == "hash":
        digest = hmac.new(key, ip.packed, hashlib.sha256).hexdigest()[:32]
        return f"hmac-sha256:{digest}"
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def split_page(url):
    """Return (origin, path) of a page URL, dropping the query string and fragment.

    :raise ValueError: the URL cannot be parsed (a malformed host, for example).
    """
    parts = urlsplit(url)
    parts.port  # noqa: B018  (parsing the port validates the host part too)
    return f"{parts.scheme}://{parts.netloc}".lower(), parts.path or "/"
