"""Run Alembic migrations programmatically (the CLI and the tests use this)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def revision(database_url: str, message: str) -> None:
    """Autogenerate a new migration from the models (developers)."""
    command.revision(alembic_config(database_url), message=message, autogenerate=True)


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Whether autogenerate (and the model check) should compare this object.

    Tables the ORM does not manage, such as SQLite FTS5 virtual tables and their shadow tables,
    are listed by their domain in ``Base.metadata.info["unmanaged_tables"]`` and skipped, with
    every table whose name starts with one of them followed by ``_``.
    """
    if type_ != "table" or not name:
        return True
    from missionhub.db.models import Base

    unmanaged = Base.metadata.info.get("unmanaged_tables", ())
    return not any(name == t or name.startswith(t + "_") for t in unmanaged)
