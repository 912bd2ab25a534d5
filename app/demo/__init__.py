"""Demo pages: one small page per sample site, embedding the service as its owner would."""
from flask import Blueprint

bp = Blueprint("demo", __name__, url_prefix="/demo")

from app.demo import views  # noqa: E402,F401  (views register routes on bp)
