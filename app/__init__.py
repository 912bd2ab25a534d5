"""Consent Gate: a self-hosted consent management platform."""
import os
from pathlib import Path

from flask import Flask

from app import cli, console, db, i18n, security
from app.config import check_config, load_config
from app.extensions import csrf

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config=None, instance_path=None):
    """Build the application: config, extensions, blueprints, commands, hooks."""
    app = Flask(
        __name__,
        instance_path=str(instance_path or PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        static_folder=str(PROJECT_ROOT / "static"),
    )
    load_config(app, test_config)
    check_config(app)
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app, PROJECT_ROOT / "translations")
    console.init_app(app)
    register_blueprints(app)
    cli.init_app(app)
    security.init_app(app)
    return app


def register_blueprints(app):
    """Mount every area of the service."""
    from app.api import bp as api_bp
    from app.banner import bp as banner_bp
    from app.console import bp as console_bp
    from app.demo import bp as demo_bp
    from app.health import bp as health_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(banner_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(demo_bp)
    app.register_blueprint(console_bp)
