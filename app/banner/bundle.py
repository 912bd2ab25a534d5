"""Assemble the per-site banner script: the gate's code wrapped around the site's config."""
import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import brotli

ASSETS = Path(__file__).resolve().parents[2] / "static" / "banner"
SOURCE = ASSETS / "consent-gate.js"
#: What build_bundle writes after the config; read_bundle_config looks for it.
BUNDLE_TAIL = ",document.currentScript);\n"
MINIFIED = ASSETS / "consent-gate.min.js"
STYLESHEET = ASSETS / "consent-gate.css"


@dataclass(frozen=True)
class Bundle:
    """One site's script in every encoding, with its strong validator."""

    body: bytes
    gzip: bytes
    brotli: bytes
    digest: str

    def encoded(self, accept_encoding):
        """Return (body, encoding or None) for a request's Accept-Encoding header."""
        offered = {name for name, quality in map(_coding, accept_encoding.split(",")) if quality}
        if "br" in offered:
            return self.brotli, "br"
        if "gzip" in offered:
            return self.gzip, "gzip"
        return self.body, None


def _coding(token):
    """Return (coding, accepted) for one Accept-Encoding entry; q=0 refuses the coding."""
    name, _, parameters = token.partition(";")
    quality = parameters.strip().removeprefix("q=").strip()
    try:
        return name.strip().lower(), not parameters or float(quality) > 0
    except ValueError:
        return name.strip().lower(), True


@cache
def gate_code():
    """Return (code, build hash): the minified gate when `make` built it, else the source."""
    code_path = MINIFIED if _fresh(MINIFIED, SOURCE) else SOURCE
    code = code_path.read_text(encoding="utf-8").strip()
    css = minify_css(STYLESHEET.read_text(encoding="utf-8"))
    build = hashlib.sha256(f"{code}\n{css}".encode()).hexdigest()[:16]
    return code, css, build


def _fresh(built, source):
    return built.exists() and built.stat().st_mtime >= source.stat().st_mtime


def minify_css(css):
    """Drop comments and indentation from the banner's stylesheet."""
    kept = []
    for line in css.splitlines():
        line = line.strip()
        if line and not line.startswith("/*"):
            kept.append(line)
    return " ".join(kept)


def build_bundle(config):
    """Wrap the gate's code around a site's config; compress it once for every request."""
    code = gate_code()[0]
    payload = json.dumps(config, ensure_ascii=False, separators=(",", ":"))
    # U+2028/9 end a line in older JavaScript engines; "</" could end an inline script.
    payload = payload.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("</", "<\\/")
    body = (
        f"(function(CONFIG,SCRIPT){{\"use strict\";{code}\n}})({payload}{BUNDLE_TAIL}"
    ).encode()
    return Bundle(
        body=body,
        gzip=gzip.compress(body, compresslevel=9, mtime=0),
        brotli=brotli.compress(body, quality=11),
        digest=hashlib.sha256(body).hexdigest()[:32],
    )


def read_bundle_config(body):
    """Return the site config inside an uncompressed bundle (for tests and benchmarks)."""
    start = body.index(b"})({") + 3
    return json.loads(body[start:body.rindex(BUNDLE_TAIL.encode())])
