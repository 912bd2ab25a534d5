"""flask i18n extract|update|compile|init: the gettext workflow over pybabel."""
import subprocess
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = PROJECT_ROOT / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"

i18n_group = AppGroup("i18n", help="Extract, update and compile translations.")


def _pybabel(*args):
    command = [sys.executable, "-m", "babel.messages.frontend", *args]
    result = subprocess.run(command, cwd=PROJECT_ROOT, check=False)
    if result.returncode:
        raise click.ClickException(f"pybabel {args[0]} failed with exit code {result.returncode}")


@i18n_group.command("extract")
def extract_command():
    """Collect every translatable string into translations/messages.pot."""
    _pybabel("extract", "-F", "pyproject.toml", "-k", "_l", "-k", "N_", "-c", "i18n:", "--sort-by-file",
             "--no-wrap", "--project", "Consent Gate", "-o", str(TEMPLATE), ".")


@i18n_group.command("update")
def update_command():
    """Merge new strings from the template into every language's catalog."""
    # No fuzzy matching: a guessed translation of a near string is wrong more often than not.
    _pybabel("update", "-i", str(TEMPLATE), "-d", str(TRANSLATIONS), "--no-wrap",
             "--no-fuzzy-matching")


@i18n_group.command("init")
@click.argument("language")
def init_command(language):
    """Start a catalog for a new language."""
    _pybabel("init", "-i", str(TEMPLATE), "-d", str(TRANSLATIONS), "-l", language, "--no-wrap")


@i18n_group.command("compile")
def compile_command():
    """Compile every catalog to .mo files the app loads."""
    _pybabel("compile", "-d", str(TRANSLATIONS), "--statistics")
