"""Reporting obligations as data, due-date arithmetic and the evaluation engine. Pure: no I/O
beyond reading the bundled rule files, no clock (callers pass `as_of`), no database."""
