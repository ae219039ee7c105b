"""Bulk inserts of machine-imported rows through the driver's ``executemany``.

SQLAlchemy's Core ``session.execute(insert(table), rows)`` costs about 20 microseconds of Python
per row on top of the driver (building and processing each row's parameters); for an import
writing five rows per OCDS release that is most of the time spent in the database layer. This
helper compiles the INSERT once with SQLAlchemy (so the SQL, its casts and the column types'
conversions are SQLAlchemy's own), converts only the columns whose type needs it, fills the
columns' Python-side defaults, and hands the rows to the driver in one ``executemany`` inside the
session's transaction. Nothing is audited row by row: use it only for tables that are bulk
machine imports (see docs/decisions/0046-driver-level-bulk-inserts.md).

On PostgreSQL through psycopg the rows go in by ``COPY ... FROM STDIN`` instead: one statement
for the whole call, where ``executemany`` runs one INSERT per row on the server (measured: the
server's work was most of a 20,000-release OCDS load; decision 0049).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Dialect, Table, insert
from sqlalchemy.orm import Session


def bulk_insert(
    session: Session, table: Table, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` in one ``executemany``."""
    if rows:
        _BulkInsert.of(session.get_bind().dialect, table, columns).write(session, rows)


class _BulkInsert:
    @classmethod
    @lru_cache(maxsize=64)
    def of(cls, dialect: Dialect, table: Table, columns: tuple[str, ...]) -> _BulkInsert:
        return cls(dialect, table, columns)

    def __init__(self, dialect: Dialect, table: Table, columns: tuple[str, ...]) -> None:
        given = list(columns)
        defaults: list[tuple[str, Any]] = []
        for column in table.columns:
            default = column.default
            if column.name in given or default is None or column.primary_key:
                continue
            if not (default.is_scalar or default.is_callable):
                continue
            defaults.append((column.name, default))
        names = given + [name for name, _ in defaults]
        compiled = insert(table).compile(dialect=dialect, column_keys=names)
        self.sql = compiled.string
        self.copy_sql = (
            f"COPY {dialect.identifier_preparer.format_table(table)} "
            f"({', '.join(dialect.identifier_preparer.quote(name) for name in names)}) FROM STDIN"
            if dialect.name == "postgresql" and dialect.driver == "psycopg"
            else None
        )
        self.defaults = defaults
        # Each column's conversion for this dialect (None where the driver takes the value as is).
        processors: dict[str, Callable[[Any], Any] | None] = {
            name: table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
        }
        if compiled.positiontup is not None:  # positional paramstyle (SQLite's "?")
            order = [names.index(key) for key in compiled.positiontup]
            self.named: list[str] | None = None
        else:  # named paramstyle (psycopg's "%(name)s")
            order = list(range(len(names)))
            self.named = names
        self.order: list[int] | None = None if order == list(range(len(names))) else order
        position = order.index
        # Conversions of the given columns (per row) and of the defaults (once per call).
        self.processors = [
            (position(i), process)
            for i, process in enumerate(processors[name] for name in given)
            if process is not None
        ]
        self.default_processors = [processors[name] for name, _ in defaults]

    def write(self, session: Session, rows: Sequence[tuple[Any, ...]]) -> None:
        extra = tuple(
            _convert(process, default.arg if default.is_scalar else default.arg(None))
            for process, (_, default) in zip(self.default_processors, self.defaults, strict=True)
        )
        params: list[Any] = [row + extra for row in rows] if extra else list(rows)
        if self.order is not None:
            order = self.order
            params = [tuple(values[i] for i in order) for values in params]
        if self.processors:
            processors = self.processors
            converted = []
            for values in params:
                out = list(values)
                for i, process in processors:
                    out[i] = process(out[i])
                converted.append(tuple(out))
            params = converted
        if self.copy_sql is not None:
            _copy(session, self.copy_sql, params)
            return
        if self.named is not None:
            params = [dict(zip(self.named, values, strict=True)) for values in params]
        session.connection().exec_driver_sql(self.sql, params)


def _convert(process: Callable[[Any], Any] | None, value: Any) -> Any:
    return value if process is None else process(value)


def _copy(session: Session, sql: str, rows: list[tuple[Any, ...]]) -> None:
    """The rows, in column order, through psycopg's COPY, in the session's transaction."""
    driver = session.connection().connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
