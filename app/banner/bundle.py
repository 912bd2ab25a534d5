"""Assemble the per-site banner script and its deferred part around the gate's code."""
import gzip
import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import brotli

ASSETS = Path(__file__).resolve().parents[2] / "static" / "banner"
SOURCE = ASSETS / "consent-gate.js"
#: What build_bundle writes around the config; read_bundle_config looks for them.
BUNDLE_HEAD = "\n)("
BUNDLE_TAIL = ",document.currentScript);\n"
MINIFIED = ASSETS / "consent-gate.min.js"
STYLESHEET = ASSETS / "consent-gate.css"
#: The deferred part (settings layer, launcher, placeholders, clearing, sending reports, leak
#: watch): a second script the banner fetches once it is visible.
DEFERRED_SOURCE = ASSETS / "consent-gate-deferred.js"
DEFERRED_MINIFIED = ASSETS / "consent-gate-deferred.min.js"
DEFERRED_STYLESHEET = ASSETS / "consent-gate-deferred.css"


@dataclass(frozen=True)
class Bundle:
    """One script in every encoding, with its strong validator."""

    body: bytes
    gzip: bytes
    brotli: bytes
    digest: str

    @classmethod
    def of(cls, body):
        """Compress a script once for every request."""
        return cls(body=body, gzip=gzip.compress(body, compresslevel=9, mtime=0),
                   brotli=brotli.compress(body, quality=11),
                   digest=hashlib.sha256(body).hexdigest()[:32])

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
    """Return (code, css, build hash) of the first script; the hash covers the deferred part too."""
    code = _code(MINIFIED, SOURCE)
    css = minify_css(STYLESHEET.read_text(encoding="utf-8"))
    deferred_code, deferred_css = deferred_code_and_css()
    build = hashlib.sha256(f"{code}\n{css}\n{deferred_code}\n{deferred_css}".encode())
    return code, css, build.hexdigest()[:16]


@cache
def deferred_code_and_css():
    """Return (code, css) of the deferred part."""
    return (_code(DEFERRED_MINIFIED, DEFERRED_SOURCE),
            minify_css(DEFERRED_STYLESHEET.read_text(encoding="utf-8")))


def _code(built, source):
    """Return the minified code when it was made from the current source, else the source.

    The build writes the source's SHA-256 on the minified file's first line; a file made from an
    older source (or none at all) is never served, whatever its modification time.
    """
    code = source.read_text(encoding="utf-8")
    if built.exists():
        header, _, minified = built.read_text(encoding="utf-8").partition("\n")
        if header == f"/* consent-gate source sha256:{hashlib.sha256(code.encode()).hexdigest()} */":
            return minified.strip()
    return code.strip()


def minify_css(css):
    """Drop comments, line breaks and the spaces CSS does not need from a stylesheet."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    css = re.sub(r"\s+", " ", css)
    # Spaces around braces, semicolons and commas, and after a colon, never matter here.
    css = re.sub(r" ?([{};,]) ?", r"\1", css).replace(": ", ":").replace(" !important", "!important")
    return css.replace(";}", "}").replace("@media (", "@media(").strip()


def _script_json(value):
    """Return value as JSON that is safe inside a script."""
    payload = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    # U+2028/9 end a line in older JavaScript engines; "</" could end an inline script.
    return payload.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("</", "<\\/")


def build_bundle(config):
    """Call the gate's function with a site's config; compress the script once for every request."""
    code = gate_code()[0]
    body = f"({code}{BUNDLE_HEAD}{_script_json(config)}{BUNDLE_TAIL}"
    return Bundle.of(body.encode())


def build_deferred_bundle(texts, leaks=None):
    """Wrap the deferred part's code around its CSS, its texts in one language and the leak
    watcher's rules (app.leaks.rules; None when the site takes no leak reports).

    The banner put a consentGate hook on the script element that loads this; anywhere else
    the script does nothing.
    """
    code, css = deferred_code_and_css()
    payload = _script_json({"css": css, "texts": texts, **({"leaks": leaks} if leaks else {})})
    body = (f"(function(s){{s&&s.consentGate&&s.consentGate({code}\n,{payload})}})"
            f"(document.currentScript);\n")
    return Bundle.of(body.encode())


def build_texts_bundle(texts):
    """Wrap one language's first-layer texts for a banner whose page asks for that language.

    Like the deferred part, it hands its payload to the hook the banner put on its element.
    """
    body = (f"(function(s){{s&&s.consentGateTexts&&s.consentGateTexts({_script_json(texts)})}})"
            f"(document.currentScript);\n")
    return Bundle.of(body.encode())


def read_texts_bundle(body):
    """Return the texts inside an uncompressed per-language texts script (for tests)."""
    start = body.index(b"consentGateTexts(") + len(b"consentGateTexts(")
    return json.loads(body[start:body.rindex(b")})(document.currentScript)")])


def read_bundle_config(body):
    """Return the site config inside an uncompressed bundle (for tests and benchmarks)."""
    start = body.index(BUNDLE_HEAD.encode()) + len(BUNDLE_HEAD)
    return json.loads(body[start:body.rindex(BUNDLE_TAIL.encode())])
