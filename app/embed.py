"""The one tag a site owner pastes into their pages."""
from flask import current_app, url_for


def embed_src(request_base_url, site_id):
    """Return the URL of a site's embed script, as the banner's route spells it."""
    base = current_app.config["PUBLIC_URL"] or request_base_url.rstrip("/")
    return base + url_for("banner.embed_script", site_id=site_id)


def embed_snippet(request_base_url, site_id):
    """Return the <script> tag that embeds the banner for a site."""
    return f'<script src="{embed_src(request_base_url, site_id)}" async></script>'
