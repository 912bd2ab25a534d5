"""The one tag a site owner pastes into their pages."""
from flask import current_app


def embed_src(request_base_url, site_id):
    """Return the URL of a site's embed script."""
    base = current_app.config["PUBLIC_URL"] or request_base_url.rstrip("/")
    return f"{base}/c/{site_id}.js"


def embed_snippet(request_base_url, site_id):
    """Return the <script> tag that embeds the banner for a site."""
    return f'<script src="{embed_src(request_base_url, site_id)}" async></script>'
