"""Column types both backends store alike: vocabularies as plain strings, times as UTC."""

import datetime as dt
from typing import Any

from sqlalchemy import DateTime, Enum
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def str_enum(enum_cls: type[Any]) -> Enum:
    # Stored as plain strings (no native PostgreSQL enum types): adding a value to the
    # vocabulary must not need an ALTER TYPE, and both backends keep the same schema.
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
    )


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC on every backend: SQLite stores no offset and would hand back naive
    datetimes, PostgreSQL hands back the session's zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[dt.datetime]:
        return dt.datetime

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: pass UTC-aware datetimes")
        return value.astimezone(dt.UTC) if value is not None else None

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
