"""Interpreting: tables and text to counts by measure and dimension, cause categories, the
foreign-government statement, periods and dates, the authorities a report cites, and Congress's
record."""
