"""Evidence of what visitors saw: screenshots of every banner build, site and language (no Flask).

tables.py declares the stored screenshots, store.py reads and writes them, capture.py renders a
banner in headless Chromium, snapshot.py ties the two to a site's current build, archive.py puts
them into an auditor's export.
"""
