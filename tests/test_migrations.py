"""Migrations: empty to head (every test session does it), the newest one down and up again,
all the way down and up, and the models and migrations agree, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from missionhub.db import migrate
from missionhub.db.models import Base
from tests.conftest import dispose_database_url, fresh_database_url


def test_models_and_migrations_agree(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": migrate.include_name}
        )
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == [], "run `missionhub db revision` for these model changes"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_newest_migration_goes_down_and_up_and_history_replays(
    backend: str, tmp_path: Path
) -> None:
    url = fresh_database_url(backend, tmp_path)
    try:
        migrate.upgrade(url)
        tables_at_head = set(inspect(create_engine(url)).get_table_names())
        migrate.downgrade(url, "-1")
        migrate.upgrade(url)
        migrate.downgrade(url, "base")
        assert set(inspect(create_engine(url)).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(url)
        assert set(inspect(create_engine(url)).get_table_names()) == tables_at_head
    finally:
        dispose_database_url(url)


def test_history_is_one_numbered_line() -> None:
    scripts = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert len(scripts.get_heads()) == 1, "migrations have branched: chain them in order"
    revisions = [r.revision for r in scripts.walk_revisions()][::-1]
    assert revisions == [f"{i:04d}" for i in range(1, len(revisions) + 1)]


def test_ocds_json_is_compressed_with_lz4_on_postgresql(tmp_path: Path) -> None:
    """Migration 0010: where the server has lz4 (Debian's PostgreSQL 15 has), the raw and
    compiled OCDS JSON columns use it, and going down sets pglz again."""
    url = fresh_database_url("postgresql", tmp_path)
    query = (
        "SELECT attrelid::regclass::text || '.' || attname, attcompression FROM pg_attribute"
        " WHERE (attrelid = 'ocds_releases'::regclass AND attname = 'raw')"
        " OR (attrelid = 'ocds_processes'::regclass AND attname = 'compiled')"
    )

    def methods() -> set[str]:
        engine = create_engine(url)
        with engine.connect() as conn:
            found = {method for _, method in conn.exec_driver_sql(query).all()}
        engine.dispose()
        return found

    try:
        migrate.upgrade(url)
        engine = create_engine(url)
        with engine.connect() as conn:
            available = conn.exec_driver_sql(
                "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'"
            ).scalar()
        engine.dispose()
        assert methods() == ({"l"} if available and "lz4" in available else {""})
        migrate.downgrade(url, "0009")
        assert methods() <= {"p", ""}
    finally:
        dispose_database_url(url)
