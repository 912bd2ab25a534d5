"""Gunicorn settings for Consent Gate; see https://docs.gunicorn.org/en/stable/settings.html."""
import os

workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 2))
timeout = 30
graceful_timeout = 20
# The access log leaves out the client address: raw IPs are personal data.
accesslog = "-"
access_log_format = '"%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
errorlog = "-"
# Receipts, subject and consent ids are redacted from the access log, addresses from the error log.
logger_class = "app.serving_logs.RedactingLogger"
# Gunicorn honours no forwarded header from any peer (its default trusts X-Forwarded-Proto from
# loopback): the app's ProxyFix, set by CONSENT_TRUSTED_PROXIES, is the one place that does.
forwarded_allow_ips = ""
secure_scheme_headers = {}


def on_starting(server):
    """Refuse to start without a public URL or a database, with a one-line reason."""
    from app.config import ConfigError, check_serving_config
    from app.db import DatabaseUnavailable, ping_database
    from app.extensions import db

    app = server.app.wsgi()
    try:
        check_serving_config(app)
    except ConfigError as error:
        raise SystemExit(f"consent-gate: configuration error: {error}") from None
    with app.app_context():
        try:
            ping_database()
            _check_limit_storage(app)
            _register_banners(db)
        except DatabaseUnavailable as error:
            raise SystemExit(f"consent-gate: {error}") from None
        finally:
            # Workers are forked from this process: they must not share its pooled connection.
            db.engine.dispose()
    # The user-agent parser compiles its few hundred patterns on first use (~0.5 s); doing it
    # here lets every forked worker inherit them instead of stalling its first consent.
    from app.ledger.client import reduce_user_agent

    reduce_user_agent("Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36")


def _check_limit_storage(app):
    """Refuse to start when the shared rate-limit storage does not answer: once serving, a lost
    storage only degrades limits to per-process counting, but a wrong setting should show now."""
    from app.rate_limits import SharedWindow
    from app.runtime import runtime

    window = runtime(app).rate_window
    if isinstance(window, SharedWindow) and not window.check():
        raise SystemExit(f"consent-gate: CONSENT_RATE_LIMIT_STORAGE {window.where} does not answer")


def _register_banners(database):
    """Register what this code serves (its build, every site's texts in its translations)
    before any banner is served: the intake accepts only registered texts and builds."""
    from sqlalchemy.exc import SQLAlchemyError

    from app.publishing import register_every_banner

    try:
        register_every_banner(database.session)
        database.session.commit()
    except SQLAlchemyError as error:
        database.session.rollback()
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        raise SystemExit(f"consent-gate: cannot register the banners: {reason} "
                         "(is the schema current? run: flask --app wsgi db upgrade)") from None


def post_worker_init(worker):
    """Start the ledger ticker: quiet sites get their checkpoints, checkpoints their tokens."""
    from app.ticker import start_ticker

    if worker.wsgi.config["LEDGER_TICK"]:
        start_ticker(worker.wsgi)
