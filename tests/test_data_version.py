"""The data version follows commit order, so no cached page outlives a committed change
(a regression test for a review finding: caches keyed on the newest audit id kept showing a
project withdrawn to draft when an unrelated write committed first)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from missionhub.accounts.models import User
from missionhub.accounts.permissions import Actor, Visibility
from missionhub.db import migrate, version
from missionhub.db.session import Database
from missionhub.portfolio.models import Project
from missionhub.settings import Environment, Settings
from missionhub.web.app import create_app
from tests.conftest import TEST_SECRET, dispose_database_url, fresh_database_url
from tests.factories import World


@pytest.fixture(params=["sqlite", "postgresql"])
def committed_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database whose transactions really commit (no per-test rollback)."""
    url = fresh_database_url(request.param, tmp_path)
    migrate.upgrade(url)
    db = Database(url)
    yield db
    db.dispose()
    dispose_database_url(url)


def test_every_writing_commit_moves_the_version_and_reading_does_not(
    committed_db: Database,
) -> None:
    with committed_db.transaction(Actor.system("t")) as s:
        start = version.current(s)
    with committed_db.transaction(Actor.system("t")) as s:
        World(s).department()
    with committed_db.transaction(Actor.system("t")) as s:
        after_write = version.current(s)
        s.get(User, 1)
    with committed_db.transaction(Actor.system("t")) as s:
        assert version.current(s) == after_write == start + 1


# PostgreSQL only: SQLite has one writer at a time (a second write waits for the first to commit),
# so commits cannot come out of order there.
@pytest.mark.parametrize("committed_db", ["postgresql"], indirect=True)
def test_a_withdrawn_project_is_not_served_from_the_cache_after_out_of_order_commits(
    committed_db: Database, tmp_path: Path
) -> None:
    db = committed_db
    settings = Settings(
        environment=Environment.TEST,
        database_url=db.url,
        secret_key=TEST_SECRET,
        var_dir=tmp_path,
        run_worker_in_process=False,
    )
    client = TestClient(create_app(settings, database=db), base_url="https://testserver")
    with db.transaction(Actor.system("setup")) as s:
        w = World(s)
        project_id = w.project(w.member(w.department()), visibility=Visibility.PUBLISHED).id

    a = db.session_factory()
    a.info["actor"] = Actor.system("A")
    project = a.get(Project, project_id)
    assert project is not None
    project.visibility = Visibility.DRAFT  # the team withdraws it; A stays open
    a.flush()
    with db.transaction(Actor.system("B")) as b:  # an unrelated write commits first
        World(b).department("Ministry of Justice")
    assert client.get(f"/projects/{project_id}").status_code == 200  # cached while A is open
    a.commit()
    a.close()
    assert client.get(f"/projects/{project_id}").status_code == 404
