"""Consent Gate: a self-hosted consent management platform.

Importing a module of a domain area (app.sites, app.ledger) loads nothing of the web layer: the
application, its extensions and its areas are put together in create_app only.
"""
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config=None, instance_path=None):
    """Build the application: config, extensions, per-app state, areas, commands, hooks."""
    import os

    from flask import Flask

    from app import cli, config, db, i18n, runtime, screenshots, security
    from app.extensions import csrf

    app = Flask(__name__, instance_path=str(instance_path or PROJECT_ROOT / "instance"),
                instance_relative_config=True, static_folder=str(PROJECT_ROOT / "static"))
    config.load_config(app, test_config)
    config.check_config(app)
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app, PROJECT_ROOT / "translations")
    runtime.init_app(app)
    screenshots.init_app(app)
    register_areas(app)
    cli.init_app(app)
    security.init_app(app)
    return app


def register_areas(app):
    """Mount every area of the service: its blueprint and what it binds to the app."""
    from app import api, banner, console, demo, documents, health

    console.init_app(app)
    demo.init_app(app)
    for area in (health, banner, documents, api, demo, console):
        app.register_blueprint(area.bp)
