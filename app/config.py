"""Configuration: safe defaults, an optional instance file, then CONSENT_* environment variables."""
import os
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ENV_PREFIX = "CONSENT"
INSECURE_SECRETS = frozenset({"", "dev", "change-me", "secret"})
SUPPORTED_DRIVERS = {
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
}


class ConfigError(Exception):
    """A setting is missing, unsafe or malformed; the message names the setting."""


class DefaultConfig:
    """Settings every deployment starts from; each can be overridden."""

    SECRET_KEY = "dev"
    #: SQLAlchemy URL; empty means SQLite in the instance folder.
    DATABASE_URL = ""
    #: Public base URL of this service, e.g. https://consent.example.com (no trailing slash).
    #: Required for serving outside tests and development: no request's Host may choose it.
    PUBLIC_URL = ""
    #: Base URL of the demo pages, on a host of its own (e.g. https://demo.example.net), so the
    #: vendor scripts they run never see the console's cookies. Empty: demo pages are sandboxed.
    DEMO_URL = ""
    #: How many reverse proxies in front of the app set X-Forwarded-* headers.
    TRUSTED_PROXIES = 0
    #: Allow the default secret: tests and the local development server only.
    DEV = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    BABEL_DEFAULT_LOCALE = "en"
    LANGUAGES = ("en", "ru")
    MAX_CONTENT_LENGTH = 1024 * 1024
    #: Ed25519 key that signs ledger checkpoints; relative paths are inside instance/.
    LEDGER_SIGNING_KEY_FILE = "ledger-signing-key.pem"
    #: Sign a checkpoint after every this many records of a site.
    CHECKPOINT_EVERY = 1000
    #: ...and once a site's last checkpoint is this many seconds old, when its chain moved.
    CHECKPOINT_INTERVAL = 300
    #: Seconds between rounds of each serving process's ledger ticker, which signs quiet sites
    #: and fetches missing time-stamp tokens (0: no ticker; then run `flask ledger checkpoint`).
    LEDGER_TICK = 30
    #: An RFC 3161 time-stamping authority that stamps every checkpoint (empty: none), the PEM
    #: file of its CA certificates (required with it; relative paths are inside instance/), the
    #: seconds to wait for it, how long a checkpoint may wait for its token before verify
    #: reports it, and how late a token may be before verify calls the checkpoint back-dated.
    TSA_URL = ""
    TSA_CA_FILE = ""
    TSA_TIMEOUT = 5
    TSA_GRACE = 3600
    TSA_MAX_DELAY = 86400
    #: Consent reports allowed per client network (/24, /48) and per site (limits syntax).
    RATE_LIMIT_CLIENT = "60/minute"
    RATE_LIMIT_SITE = "6000/minute"
    #: Leak reports allowed per client network (/24, /48), whatever the site.
    RATE_LIMIT_LEAKS = "30/minute"
    #: Console login attempts allowed per client network and per e-mail.
    RATE_LIMIT_LOGIN = "10/minute"
    #: Where every limit is counted: memory:// (this process) or a storage all nodes share,
    #: e.g. redis://HOST:6379/0, so N processes on M nodes do not allow N x M times a limit.
    RATE_LIMIT_STORAGE = "memory://"
    #: The Chromium that photographs banners (empty: /usr/bin/chromium, else one on PATH).
    CHROMIUM = ""
    #: "auto": photograph a site's banner after every change, when Chromium is there; "off".
    #: Empty means auto, except under tests (off unless a test turns it on).
    SCREENSHOTS = ""
    #: "thread": a console scan is run by a worker thread of the process that queued it (it
    #: also takes the other queued jobs of the shared database); "off": only
    #: `flask sites scan-worker` runs them.
    SCAN_WORKER = "thread"
    SQLALCHEMY_TRACK_MODIFICATIONS = False


def load_config(app, test_config=None):
    """Fill app.config from defaults, instance/config.py, the environment and test overrides."""
    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env(ENV_PREFIX)
    # Hosting platforms conventionally export a bare DATABASE_URL.
    if not app.config["DATABASE_URL"] and os.environ.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
    if test_config:
        app.config.update(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri(
        app.config["DATABASE_URL"], Path(app.instance_path)
    )
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS",
                          engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))


def check_config(app):
    """Refuse to run with settings that are unsafe outside tests and development."""
    if not is_relaxed(app) and app.config["SECRET_KEY"] in INSECURE_SECRETS:
        raise ConfigError(
            f"{ENV_PREFIX}_SECRET_KEY is missing or a known default; set a long random value "
            f"(python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    try:
        app.config["TRUSTED_PROXIES"] = int(app.config["TRUSTED_PROXIES"])
    except (TypeError, ValueError):
        raise ConfigError(f"{ENV_PREFIX}_TRUSTED_PROXIES must be a whole number of proxy hops") from None
    if app.config["TSA_URL"] and not app.config["TSA_CA_FILE"]:
        raise ConfigError(f"{ENV_PREFIX}_TSA_URL needs {ENV_PREFIX}_TSA_CA_FILE, the PEM file of "
                          "the authority's CA certificates, so its tokens can be checked")
    app.config["SCREENSHOTS"] = app.config["SCREENSHOTS"] or ("off" if app.testing else "auto")
    if app.config["SCREENSHOTS"] not in ("auto", "off"):
        raise ConfigError(f"{ENV_PREFIX}_SCREENSHOTS must be auto or off, "
                          f"not {app.config['SCREENSHOTS']!r}")
    if app.config["SCAN_WORKER"] not in ("thread", "off"):
        raise ConfigError(f"{ENV_PREFIX}_SCAN_WORKER must be thread or off, "
                          f"not {app.config['SCAN_WORKER']!r}")
    app.config["PUBLIC_URL"] = base_url("PUBLIC_URL", app.config["PUBLIC_URL"])
    app.config["DEMO_URL"] = base_url("DEMO_URL", app.config["DEMO_URL"])
    check_demo_host(app.config["PUBLIC_URL"], app.config["DEMO_URL"])
    if app.config["PUBLIC_URL"].startswith("https://"):
        # Served over https: the session cookie must never travel in clear text.
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True


def is_relaxed(app):
    """Tell whether the app runs under tests or in development, where unsafe defaults are allowed."""
    return bool(app.testing or app.debug or app.config["DEV"])


def check_serving_config(app):
    """Refuse to serve requests outside tests and development without CONSENT_PUBLIC_URL.

    Commands (db upgrade, sites import) need no public address; a server does, or the Host header
    of any request would choose where banners load from and report to.
    """
    if not is_relaxed(app) and not app.config["PUBLIC_URL"]:
        raise ConfigError(f"{ENV_PREFIX}_PUBLIC_URL is required to serve: set the address "
                          "visitors reach this service at, e.g. https://consent.example.com")


def base_url(name, value):
    """Return an absolute http(s) base URL without its trailing slash; "" stays "".

    :raise ConfigError: naming the setting, when the value has another scheme, no host, a path,
        a query or a fragment.
    """
    url = str(value or "").strip().rstrip("/")
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        parts = None
    if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname
            or parts.path or parts.query or parts.fragment or "@" in parts.netloc):
        raise ConfigError(f"{ENV_PREFIX}_{name} must be an absolute http:// or https:// URL with "
                          f"no path, query or user, like https://consent.example.com; not {url!r}")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def check_demo_host(public_url, demo_url):
    """Refuse a demo host that is the service's own: cookies are shared across a host's ports."""
    if demo_url and public_url and urlsplit(demo_url).hostname == urlsplit(public_url).hostname:
        raise ConfigError(f"{ENV_PREFIX}_DEMO_URL must be on another host than "
                          f"{ENV_PREFIX}_PUBLIC_URL (a host's cookies reach every port), "
                          f"e.g. http://localhost:5000 beside http://127.0.0.1:5000")


def database_uri(url, instance_path):
    """Return a SQLAlchemy URL with a supported driver; default to SQLite in instance/."""
    if not url:
        return f"sqlite:///{instance_path / 'consent-gate.sqlite3'}"
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"{ENV_PREFIX}_DATABASE_URL is not a database URL: {mask_url(url)!r}") from None
    driver = SUPPORTED_DRIVERS.get(parsed.drivername)
    if driver is None:
        raise ConfigError(
            f"{ENV_PREFIX}_DATABASE_URL scheme {parsed.drivername!r} is not supported; "
            "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
        )
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def engine_options(uri):
    """Return engine options that make commits durable on the chosen database."""
    if uri.startswith("sqlite"):
        # A locked SQLite file should fail fast enough to answer 503, not hang a worker.
        return {"connect_args": {"timeout": 5}}
    # synchronous_commit=on (the server default, made explicit): a commit is on disk before 201.
    return {"pool_pre_ping": True,
            "connect_args": {"connect_timeout": 5, "options": "-c synchronous_commit=on"}}


def mask_url(url):
    """Return the URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable URL>"
