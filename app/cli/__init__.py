"""Command-line groups, registered on the app by init_app."""
from app.cli.banner import banner_group
from app.cli.export import export_command
from app.cli.i18n import i18n_group
from app.cli.ledger import ledger_group
from app.cli.scan import scan_command, scan_worker_command, scans_command
from app.cli.sites import sites_group
from app.cli.users import users_group


def init_app(app):
    """Register every CLI group on the app."""
    sites_group.add_command(scan_command)
    sites_group.add_command(scans_command)
    sites_group.add_command(scan_worker_command)
    app.cli.add_command(sites_group)
    app.cli.add_command(banner_group)
    app.cli.add_command(i18n_group)
    ledger_group.add_command(export_command)
    app.cli.add_command(ledger_group)
    app.cli.add_command(users_group)
