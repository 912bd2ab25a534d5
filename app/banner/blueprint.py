"""The Blueprint of the banner's scripts."""
from flask import Blueprint

bp = Blueprint("banner", __name__)
