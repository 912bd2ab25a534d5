"""The cookie scanner: crawl a site in Chromium, compare what it stores with its catalog (no Flask).

crawl.py drives the browser and returns observations (observations.py); compare.py turns them and
the site's catalog into findings, each with a suggested catalog entry (suggestions.py);
report.py renders them; store.py keeps each scan with its time and banner build.
"""
