"""The shell: database, pipeline, findings, CLI. Imports scrapers and rules, never the reverse."""

__version__ = "0.1.0"
