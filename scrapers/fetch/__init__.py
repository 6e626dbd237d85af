"""Fetching: the one HTTP client, the check that a response is the document asked for, JSON APIs,
and the evidence archive that keeps every body fetched."""
