"""Declarative base with constraint naming conventions and a UTC timestamp type.

Constraint names must be deterministic so that Alembic batch migrations on SQLite and plain
ALTERs on PostgreSQL address the same constraint by the same name.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Distinct stored instants a UTCDateTime column's reader keeps made (see result_processor).
RESULT_CACHE = 50_000


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC; refuses naive datetimes so no local time sneaks in."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is timezone.utc:  # the usual case: no conversion
            return value.replace(tzinfo=None)
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware (UTC) datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)

    def result_processor(self, dialect, coltype):
        """The stored value as an aware datetime, each distinct stored value made once: an
        evaluation reads hundreds of thousands of times, most of them the same few thousand
        instants (a read of a listing page dates every report found on it), and on SQLite each
        is text to parse. Datetimes are immutable, so one object serves every row."""
        convert = super().result_processor(dialect, coltype)
        made: dict = {}

        def process(value):
            if value is None:
                return None
            found = made.get(value)
            if found is None:
                if len(made) >= RESULT_CACHE:  # bounded: forget them all, start again
                    made.clear()
                found = made[value] = convert(value)
            return found

        return process


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict: JSON(), list: JSON()}
