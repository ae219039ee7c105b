"""`missionhub risks export` and `missionhub risks refresh`, against a real database file."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from missionhub.accounts.permissions import Actor
from missionhub.cli import app
from missionhub.db import migrate
from missionhub.db.session import Database
from missionhub.risk.models import DecisionStatus, Response, RiskDecision
from missionhub.settings import get_settings
from tests.conftest import dispose_database_url, fresh_database_url
from tests.factories import World
from tests.risk.factories import RiskWorld


@pytest.fixture(params=["sqlite", "postgresql"])
def stored(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Database]:
    """A committed database (the CLI opens its own connection), named by DATABASE_URL."""
    url = fresh_database_url(request.param, tmp_path)
    migrate.upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    db = Database(url)
    try:
        yield db
    finally:
        db.dispose()
        get_settings.cache_clear()
        dispose_database_url(url)


def _seed(db: Database) -> dict[str, int]:
    with db.transaction(Actor.system("test")) as session:
        world = World(session)
        risks = RiskWorld(world)
        dwp, moj = world.department(), world.department("Ministry of Justice")
        member, cio = world.member(dwp), world.cio(dwp)
        project = world.project(member)
        high = risks.risk(project, member, likelihood=4, impact=4)
        risks.decide(high, cio, Response.TOLERATE, expires_on=date.today() + timedelta(days=1))
        low = risks.risk(project, member)
        other = risks.risk(world.project(world.member(moj)), world.member(moj))
        return {"high": high.id, "low": low.id, "other": other.id, "decision": high.decisions[0].id}


def test_export_writes_every_risk_as_json_and_csv(stored: Database, tmp_path: Path) -> None:
    ids = _seed(stored)
    runner = CliRunner()
    out = tmp_path / "risks.json"
    result = runner.invoke(app, ["risks", "export", "--format", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = json.loads(out.read_text())
    assert sorted(r["id"] for r in rows) == sorted([ids["high"], ids["low"], ids["other"]])
    high = next(r for r in rows if r["id"] == ids["high"])
    assert (high["decision_status"], high["decision_response"]) == ("decided", "tolerate")
    assert "Exported 3 risks." in result.output

    out_csv = tmp_path / "dwp.csv"
    result = runner.invoke(
        app,
        [
            "risks",
            "export",
            "--organisation",
            "department-for-work-and-pensions",
            "-o",
            str(out_csv),
        ],
    )
    assert result.exit_code == 0, result.output
    with out_csv.open(newline="") as f:
        assert sorted(int(r["id"]) for r in csv.DictReader(f)) == sorted([ids["high"], ids["low"]])

    unknown = runner.invoke(app, ["risks", "export", "--organisation", "nowhere"])
    assert unknown.exit_code == 1
    assert "no organisation with slug 'nowhere'" in unknown.output


def test_refresh_reopens_expired_decisions(
    stored: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _seed(stored)
    runner = CliRunner()
    assert "Re-opened 0 expired decisions." in runner.invoke(app, ["risks", "refresh"]).output
    with stored.transaction() as session:
        decision = session.get(RiskDecision, ids["decision"])
        assert decision is not None
        decision.expires_on = date.today() - timedelta(days=1)
    result = runner.invoke(app, ["risks", "refresh"])
    assert "Re-opened 1 expired decision." in result.output
    with stored.transaction() as session:
        decision = session.get(RiskDecision, ids["decision"])
        assert decision is not None
        assert decision.status is DecisionStatus.REOPENED
