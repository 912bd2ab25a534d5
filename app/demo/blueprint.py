"""The Blueprint of the demo pages."""
from flask import Blueprint

bp = Blueprint("demo", __name__, url_prefix="/demo")
