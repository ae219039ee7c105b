"""The command line, run as an operator would, against a fresh database of each backend."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from missionhub.cli import app
from missionhub.settings import get_settings
from tests.conftest import DATA_DIR, dispose_database_url, fresh_database_url

runner = CliRunner()


@pytest.fixture(params=["sqlite", "postgresql"])
def operator_env(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    url = fresh_database_url(request.param, tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MISSIONHUB_ENVIRONMENT", "development")
    monkeypatch.setenv("MISSIONHUB_DATA_DIR", str(DATA_DIR))
    monkeypatch.setenv("MISSIONHUB_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
    dispose_database_url(url)


def run(*args: str, stdout_only: bool = False) -> str:
    """Run a command; its output (stdout alone for data, else stdout and stderr)."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout if stdout_only else result.output


def test_upgrade_load_demo_create_user_and_export(operator_env: str, tmp_path: Path) -> None:
    run("db", "upgrade")
    first = run("demo", "load")
    assert "ATRS projects: 136 new" in first
    assert "cio@dwp.missionhub.example" in first
    assert "ATRS projects: 0 new, 0 updated, 136 unchanged" in run("demo", "load")

    password = tmp_path / "pw"
    password.write_text("a long enough password\n")
    out = run(
        "users",
        "create",
        "--email",
        "Ada@HMRC.example.org",
        "--name",
        "Ada",
        "--role",
        "cio",
        "--organisation",
        "hm-revenue-customs",
        "--password-file",
        str(password),
    )
    assert "Created ada@hmrc.example.org" in out
    bad = runner.invoke(
        app,
        [
            "users",
            "create",
            "--email",
            "x@y.example.org",
            "--name",
            "X",
            "--role",
            "member",
            "--organisation",
            "Nowhere",
            "--password-file",
            str(password),
        ],
    )
    assert bad.exit_code == 1
    assert "no organisation called 'Nowhere'" in bad.output

    exported = run("projects", "export", "--format", "csv", stdout_only=True)
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert len(rows) == 136
    assert {"title", "organisation", "stage", "assumed_fields"} <= set(rows[0])
    out_file = tmp_path / "projects.json"
    run("projects", "export", "--format", "json", "--public", "-o", str(out_file))
    assert len(json.loads(out_file.read_text())) == 136

    token = run(
        "users", "token", "--email", "ada@hmrc.example.org", "--name", "ci", stdout_only=True
    ).strip()
    assert token.startswith("mh_")
