"""Fetching, the evidence archive, and one pure parser per source. No database here."""
