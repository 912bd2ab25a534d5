"""Rate limits for the intake: per client network and per site (no Flask).

The counting itself is app.rate_limits': in this process, or shared by every node.
"""
from app.rate_limits import MovingWindow


class ReportLimiter:
    """Count reports per client network and per site; limits are read from settings at every
    report (the app's config), so a changed limit applies at once."""

    def __init__(self, settings, window=None):
        self.settings, self.window = settings, window or MovingWindow()

    def wait(self, client_network, site_id):
        """Count one report; return the seconds to wait when a limit is exceeded, else 0."""
        for limit, key in ((self.settings["RATE_LIMIT_CLIENT"], f"client:{client_network}"),
                           (self.settings["RATE_LIMIT_SITE"], f"site:{site_id}")):
            wait = self.window.hit(key, limit)
            if wait:
                return wait
        return 0
