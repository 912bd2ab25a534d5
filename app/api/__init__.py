"""The public JSON API: consent intake and receipt checks; CORS per site, no CSRF (no cookies)."""
from app.api import errors, impressions, views  # noqa: F401  (handlers and routes on bp)
from app.api.blueprint import bp  # noqa: F401
