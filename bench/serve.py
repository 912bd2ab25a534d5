"""The banner benchmark's web: a site, the service and the trackers, served over real sockets.

Playwright's page.route would be simpler, but a routed response skips Chromium's network stack:
neither network throttling nor the HTTP cache applies to it. So the site is http://localhost:PORT,
the service (another site to the browser) http://127.0.0.1:PORT, and the trackers' hosts resolve
to a TLS server that answers with the test suite's stubs.
"""
import datetime
import gzip
import ssl
import tempfile
import threading
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

STUBS = Path(__file__).resolve().parent.parent / "tests" / "stubs"
#: Tracker host -> (path prefix, stub file).
TRACKER_STUBS = {"mc.yandex.ru": ("/metrika/tag.js", "yandex-tag.js"),
                 "www.googletagmanager.com": ("/gtag/js", "gtag.js"),
                 "connect.facebook.net": ("/en_US/fbevents.js", "fbevents.js")}


class Web:
    """Serve {(host name, path): (body, content type, cache control)}, gzipped when asked."""

    def __init__(self):
        self.files = {}
        self.site_server = _start(ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.files)))
        self.tracker_server = _start(_tls(ThreadingHTTPServer(("127.0.0.1", 0),
                                                              _handler(self.files))))
        for host, (path, stub) in TRACKER_STUBS.items():
            self.files[host, path] = ((STUBS / stub).read_bytes(), "text/javascript", "no-store")
        port = self.site_server.server_address[1]
        self.site, self.service = f"http://localhost:{port}", f"http://127.0.0.1:{port}"

    def chromium_args(self):
        """Return the flags that send the tracker hosts here and every other host nowhere."""
        tracker_port = self.tracker_server.server_address[1]
        rules = [f"MAP {host} 127.0.0.1:{tracker_port}" for host in TRACKER_STUBS]
        return [f"--host-resolver-rules={', '.join(rules)}, MAP * ~NOTFOUND, EXCLUDE localhost, "
                "EXCLUDE 127.0.0.1", "--ignore-certificate-errors"]

    def close(self):
        """Stop both servers."""
        for server in (self.site_server, self.tracker_server):
            server.shutdown()
            server.server_close()


def _start(server):
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _tls(server):
    """Wrap a server's socket in TLS with a throwaway certificate for the tracker hosts."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench trackers")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName(
                       [x509.DNSName(host) for host in TRACKER_STUBS]), critical=False)
                   .sign(key, hashes.SHA256()))
    folder = Path(tempfile.mkdtemp(prefix="consent-bench-tls-"))
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    return server


@lru_cache(maxsize=64)
def _gzip(body):
    # Once per body: the server's own time stays out of the figures.
    return gzip.compress(body, compresslevel=9, mtime=0)


def _handler(files):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # the benchmark prints tables, not requests
            pass

        def do_GET(self):  # noqa: N802 (http.server's name)
            host = self.headers.get("Host", "").rsplit(":", 1)[0]
            path = self.path.split("?")[0]
            found = files.get((host, path)) or next(
                (entry for (name, prefix), entry in files.items()
                 if name == host and name in TRACKER_STUBS and path.startswith(prefix)), None)
            if found is None:
                return self._answer(204 if host in TRACKER_STUBS else 404, b"", "text/plain",
                                    "no-store")
            body, content_type, cache_control = found
            self._answer(200, body, content_type, cache_control)

        def do_POST(self):  # noqa: N802
            # Consent reports, displays and the trackers' own beacons: taken and dropped.
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._answer(204, b"", "text/plain", "no-store")

        def do_OPTIONS(self):  # noqa: N802
            self._answer(204, b"", "text/plain", "no-store")

        def _answer(self, status, body, content_type, cache_control):
            if body and "gzip" in self.headers.get("Accept-Encoding", ""):
                body = _gzip(body)
                encoded = True
            else:
                encoded = False
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Cache-Control", cache_control)
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Allow-Headers", "Content-Type")
            if encoded:
                self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler
