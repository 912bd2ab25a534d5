"""The one tag a site owner pastes into their pages."""
from flask import current_app


def embed_snippet(request_base_url, site_id):
    """Return the <script> tag that embeds the banner for a site."""
    base = current_app.config["PUBLIC_URL"] or request_base_url.rstrip("/")
    return f'<script src="{base}/c/{site_id}.js" async></script>'
