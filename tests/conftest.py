"""Test fixtures: real databases (SQLite and PostgreSQL), the app, and domain factories.

Every test that asks for ``session``, ``db`` or ``client`` runs once per backend. PostgreSQL is
a fresh database created for this run and dropped after it. Each test runs inside a transaction
that is rolled back, so tests never see each other's writes.

Set ``MISSIONHUB_REQUIRE_POSTGRES=1`` (``make test`` does) to fail, not skip, when PostgreSQL is
unreachable.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.orm import Session

from missionhub import cache
from missionhub.accounts.permissions import Actor
from missionhub.db import migrate
from missionhub.db.session import Database, make_engine
from missionhub.settings import Environment, Settings
from missionhub.web.app import create_app
from tests.factories import World

PG_ADMIN_URL = os.environ.get(
    "MISSIONHUB_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("MISSIONHUB_REQUIRE_POSTGRES") == "1"
DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
TEST_SECRET = "test-secret-" + "x" * 40


def postgres_unreachable() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL at {PG_ADMIN_URL} is unreachable: {exc}"
    return None


def skip_or_fail(reason: str) -> None:
    if REQUIRE_POSTGRES:
        pytest.fail(reason + " (MISSIONHUB_REQUIRE_POSTGRES=1)", pytrace=False)
    pytest.skip(reason)


def create_pg_database(prefix: str = "mh_test") -> str:
    """A new, empty PostgreSQL database; returns its URL."""
    reason = postgres_unreachable()
    if reason:
        skip_or_fail(reason)
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def fresh_database_url(backend: str, tmp_dir: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_dir / f'test-{secrets.token_hex(3)}.db'}"
    return create_pg_database()


def dispose_database_url(url: str) -> None:
    if url.startswith("postgresql"):
        drop_pg_database(url)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database of each backend, migrated from empty to head with Alembic."""
    url = fresh_database_url(request.param, tmp_path_factory.mktemp("db"))
    try:
        migrate.upgrade(url)
        yield url
    finally:
        dispose_database_url(url)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2 with the smallest cost: the same algorithm and code, a fraction of the time."""
    from argon2 import PasswordHasher

    from missionhub.accounts import passwords

    real = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    yield
    passwords._hasher = real


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def db(database_url: str, connection: Connection) -> Database:
    return Database(database_url, bind=connection)


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.session_factory() as s:
        s.info["actor"] = Actor.system("test")
        yield s


@pytest.fixture
def world(session: Session) -> World:
    """Factories that speak the domain: departments, people in roles, projects."""
    return World(session)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        environment=Environment.TEST,
        database_url=database_url,
        secret_key=TEST_SECRET,
        var_dir=tmp_path,
        data_dir=DATA_DIR,
        run_worker_in_process=False,
        cookie_secure=True,
    )


@pytest.fixture
def app(settings: Settings, db: Database) -> FastAPI:
    return create_app(settings, database=db)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A browser-like client over HTTPS (cookies are Secure), signed out."""
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as c:
        yield c


def require_data(*parts: str) -> Path:
    """A file under ../shared/data; the test fails (not passes) if it is missing."""
    path = DATA_DIR.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"test data missing: {path} (see ../shared/data/README.md)", pytrace=False)
    return path
