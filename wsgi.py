"""WSGI entry point for gunicorn and the flask CLI: `app` is the Consent Gate application."""
import sys

from app import create_app
from app.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    sys.exit(f"consent-gate: configuration error: {error}")
