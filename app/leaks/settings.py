"""A site's leak report setting, as its row keeps it (no Flask)."""

#: The share of page views watched when a site file does not say (leak_reports.sample).
DEFAULT_SAMPLE = 0.05


def leak_sample(site):
    """Return the share of a site's page views whose banner watches for leaks (0 to 1)."""
    settings = getattr(site, "leak_reports", None) or {}
    if hasattr(settings, "sample"):
        return float(settings.sample)
    return float(settings.get("sample", DEFAULT_SAMPLE))
