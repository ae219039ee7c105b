"""The `missionhub learning` commands on a fresh database of each backend."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from missionhub.cli import app
from missionhub.db import migrate
from missionhub.settings import get_settings
from tests.conftest import dispose_database_url, fresh_database_url
from tests.learning.factories import US_2025_HEADER, write
from tests.learning.test_importers import US_2025


@pytest.fixture(params=["sqlite", "postgresql"])
def cli_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    url = fresh_database_url(request.param, tmp_path)
    migrate.upgrade(url)
    get_settings.cache_clear()
    try:
        yield {"DATABASE_URL": url, "MISSIONHUB_VAR_DIR": str(tmp_path)}
    finally:
        get_settings.cache_clear()
        dispose_database_url(url)


def test_import_reports_skipped_lines_then_export_and_reimport(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    runner = CliRunner()
    path = write(tmp_path / "us2025.csv", US_2025)
    first = runner.invoke(app, ["learning", "import", str(path)], env=cli_env)
    assert first.exit_code == 0, first.output
    assert "4 rows; 2 new, 0 updated, 0 unchanged, 2 skipped" in first.output
    assert "us2025.csv, line 3: no use case name" in first.output
    again = runner.invoke(app, ["learning", "import", str(path)], env=cli_env)
    assert "0 new, 0 updated, 2 unchanged" in again.output
    out = tmp_path / "catalogue.json"
    exported = runner.invoke(
        app, ["learning", "export", "--format", "json", "-o", str(out), "--public"], env=cli_env
    )
    assert exported.exit_code == 0, exported.output
    assert {r["title"] for r in json.loads(out.read_text())} == {"Claims chatbot", "Forms reader"}


def test_strict_import_fails_and_writes_nothing(cli_env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    path = write(tmp_path / "us2025.csv", US_2025)
    result = runner.invoke(app, ["learning", "import", str(path), "--strict"], env=cli_env)
    assert result.exit_code == 1
    assert "us2025.csv line 3" in result.output
    empty = write(tmp_path / "empty.csv", US_2025_HEADER)
    ok = runner.invoke(app, ["learning", "import", str(empty)], env=cli_env)
    assert "0 rows" in ok.output
    reindexed = runner.invoke(app, ["learning", "reindex"], env=cli_env)
    assert "0 documents indexed" in reindexed.output
