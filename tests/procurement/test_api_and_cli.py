"""The JSON API and the command line use the same services as the pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from missionhub.db import migrate
from missionhub.settings import get_settings
from tests.conftest import require_data
from tests.factories import World
from tests.procurement.factories import Procurement, award_release, package_bytes, sme


def test_api_sme_share_needs_a_civil_servant_and_pipeline_is_public(
    client: TestClient, world: World, buying: Procurement
) -> None:
    release = award_release(ocid="ocds-x-api-1", rid="r1", date="2025-01-10T00:00:00Z",
                            suppliers=[sme("S1", "Api Small Ltd")])  # fmt: skip
    buying.ingest(package_bytes([release]))
    assert client.get("/api/procurement/sme-share").status_code == 403
    headers = world.bearer(world.member(world.department()))
    body = client.get("/api/procurement/sme-share", headers=headers).json()
    row = next(r for r in body["rows"] if r["department"] == "Department for Work and Pensions")
    assert (row["B"], row["C"]) == (100000.0, 100000.0)
    assert client.get("/api/procurement/sme-share?year=2025", headers=headers).status_code == 422
    assert client.get("/api/procurement/pipeline").json()["version"] == "1.1"


def test_cli_ingests_loads_spend_and_reports_as_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from missionhub.cli import app

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MISSIONHUB_DATA_DIR", str(require_data()))
    get_settings.cache_clear()
    try:
        migrate.upgrade(url)
        runner = CliRunner()
        package = require_data("procurement", "contracts_finder_2025_release_package.json")
        first = runner.invoke(app, ["procurement", "ingest", str(package), "--json"])
        assert first.exit_code == 0, first.output
        assert json.loads(first.stdout)["releases_new"] == 200
        again = runner.invoke(app, ["procurement", "ingest", "-", "--json"],
                              input=package.read_bytes())  # fmt: skip
        assert json.loads(again.stdout)["releases_already_stored"] == 200
        broken = tmp_path / "broken.json"
        broken.write_bytes(package.read_bytes()[:5000])
        failed = runner.invoke(app, ["procurement", "ingest", str(broken)])
        assert failed.exit_code == 1
        assert "nothing was loaded" in failed.output
        spend = require_data("procurement", "hmt_spend_over_25k_2025Q1.csv")
        loaded = runner.invoke(app, ["procurement", "spend", str(spend), "--organisation",
                                     "HM Treasury", "--json"])  # fmt: skip
        assert loaded.exit_code == 1  # no such organisation in an empty database
        share = runner.invoke(app, ["procurement", "sme-share", "--json"])
        assert share.exit_code == 0, share.output
        assert json.loads(share.stdout)["totals"]["B"] > 0
        piped = runner.invoke(app, ["procurement", "pipeline", "--json"])
        assert json.loads(piped.stdout)["releases"] == []
    finally:
        get_settings.cache_clear()
