"""The banner: the one script a site embeds, with its texts and tracker gate."""
from flask import Blueprint

bp = Blueprint("banner", __name__)

from app.banner import views  # noqa: E402,F401  (views register routes on bp)
