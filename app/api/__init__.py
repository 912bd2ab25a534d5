"""The public JSON API: consent intake, receipts, leak reports; CORS per site, no CSRF (no cookies)."""
from app.api import errors, impressions, leaks, views  # noqa: F401  (handlers and routes on bp)
from app.api.blueprint import bp  # noqa: F401
