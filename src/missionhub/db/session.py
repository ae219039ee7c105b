"""Engine and session factory for the store chosen by ``DATABASE_URL``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for SQLite (foreign keys on, WAL, busy timeout) or PostgreSQL (pooled)."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, decide when transactions begin, so that savepoints and
    # transactional DDL work (the SQLAlchemy documentation's recommended pysqlite set-up).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


class Database:
    """One store: its engine and a session factory whose every write is audited."""

    def __init__(self, url: str, *, bind: Connection | None = None, **engine_kwargs: Any) -> None:
        """``bind`` (tests): run every session inside that connection's open transaction,
        so that each test's writes can be rolled back whole."""
        from missionhub.accounts.audit import install_audit_hook
        from missionhub.db.version import install_version_hooks

        self.url = url
        self.engine = bind.engine if bind is not None else make_engine(url, **engine_kwargs)
        self.session_factory = (
            sessionmaker(
                bind=bind, expire_on_commit=False, join_transaction_mode="create_savepoint"
            )
            if bind is not None
            else sessionmaker(self.engine, expire_on_commit=False)
        )
        install_audit_hook(self.session_factory)
        install_version_hooks()

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self, actor: Any = None) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self.session_factory() as session:
            session.info["actor"] = actor
            with session.begin():
                yield session

    def dispose(self) -> None:
        self.engine.dispose()
