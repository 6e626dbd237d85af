"""One module per source; the registry finds them by file name (see scrapers/registry.py)."""
