"""Linkage pages, API and the CLI's hub client, over HTTPS with real sessions and CSRF."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from missionhub.cli import app as cli_app
from missionhub.jobs.worker import work_until_empty
from missionhub.linkage.cli import download_file, upload_file
from missionhub.linkage.models import EncodingUpload, LinkageProject
from tests.factories import World
from tests.linkage.conftest import Cast
from tests.linkage.factories import A_OPTIONS, B_OPTIONS, PEOPLE_A, PEOPLE_B, LinkageWorld


def csrf(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "no CSRF token on " + path
    return found.group(1)


def set_up_by_web(client: TestClient, world: World, cast: Cast) -> int:
    world.sign_in(client, cast.steward)
    token = csrf(client, "/linkage/new")
    empty = client.post("/linkage/new", data={"csrf_token": token})
    assert empty.status_code == 400
    assert "Enter project name" in empty.text
    assert "Participating departments" in empty.text
    response = client.post(
        "/linkage/new",
        data={
            "csrf_token": token,
            "name": "Reoffending pathways",
            "purpose": "Link prison, probation and treatment records.",
            "hub_name": "Mission Hub",
            "organisation_ids": [str(cast.dwp.id), str(cast.moj.id)],
        },
    )
    assert response.status_code == 303, response.text
    project_id = int(response.headers["location"].rsplit("/", 1)[1])
    for owner in (cast.dwp_owner, cast.moj_owner):
        added = client.post(
            f"/linkage/{project_id}/owners", data={"csrf_token": token, "email": owner.email}
        )
        assert added.status_code == 303
    return project_id


def test_forms_refuse_a_missing_csrf_token(client: TestClient, world: World, cast: Cast) -> None:
    world.sign_in(client, cast.steward)
    response = client.post("/linkage/new", data={"name": "x"})
    assert response.status_code == 403


def test_steward_and_owners_use_the_pages(
    client: TestClient, world: World, cast: Cast, linkage: LinkageWorld, settings
) -> None:
    project_id = set_up_by_web(client, world, cast)
    project = linkage.s.get(LinkageProject, project_id)
    assert project is not None
    schema_json = client.get(f"/linkage/{project_id}/schema.json").json()
    assert schema_json["project"] == project.reference

    world.sign_in(client, cast.dwp_owner)
    token = csrf(client, f"/linkage/{project_id}")
    bad = client.post(
        f"/linkage/{project_id}/uploads",
        data={"csrf_token": token},
        files={"file": ("people.csv", b"first_name\nOlivia\n", "text/csv")},
    )
    assert bad.status_code == 400
    assert "The file must end in .parquet" in bad.text
    path = linkage.encode(project, PEOPLE_A, A_OPTIONS)
    ok = client.post(
        f"/linkage/{project_id}/uploads",
        data={"csrf_token": token},
        files={"file": ("dwp.parquet", path.read_bytes(), "application/octet-stream")},
    )
    assert ok.status_code == 303, ok.text

    world.sign_in(client, cast.moj_owner)
    token = csrf(client, f"/linkage/{project_id}")
    path = linkage.encode(project, PEOPLE_B, B_OPTIONS)
    client.post(
        f"/linkage/{project_id}/uploads",
        data={"csrf_token": token},
        files={"file": ("moj.parquet", path.read_bytes(), "application/octet-stream")},
    )
    assert len(linkage.s.scalars(select(EncodingUpload)).all()) == 2
    assert not list((settings.var_dir / "uploads").glob("*"))  # temporary copies removed

    world.sign_in(client, cast.steward)
    token = csrf(client, f"/linkage/{project_id}")
    started = client.post(
        f"/linkage/{project_id}/runs",
        data={"csrf_token": token, "threshold": "0.8", "method": "clk"},
    )
    assert started.status_code == 303
    assert started.headers["location"].startswith("/jobs/")
    job_page = client.get(started.headers["location"])
    assert "Queued" in job_page.text
    work_until_empty(linkage.db)
    run_url = client.get(started.headers["location"] + "/status").json()
    assert run_url["status"] == "succeeded"
    runs = re.findall(r'href="/linkage/runs/(\d+)"', client.get(f"/linkage/{project_id}").text)
    report = client.get(f"/linkage/runs/{runs[0]}")
    assert "Score distribution" in report.text
    assert "threshold-table" in report.text
    assert "Download your department" not in report.text  # the steward gets no mapping
    assert client.get(f"/linkage/runs/{runs[0]}/mapping.csv").status_code == 403

    world.sign_in(client, cast.moj_owner)
    mapping = client.get(f"/linkage/runs/{runs[0]}/mapping.csv")
    assert mapping.status_code == 200
    assert mapping.text.splitlines()[0] == "record_id,link_id,match_confidence"
    assert {line.split(",")[0] for line in mapping.text.splitlines()[1:]} == {
        "b1",
        "b2",
        "b3",
        "b4",
        "b5",
    }

    world.sign_in(client, cast.outsider)
    assert client.get(f"/linkage/{project_id}").status_code == 404
    assert client.get(f"/linkage/runs/{runs[0]}/mapping.csv").status_code == 404


def test_owners_use_the_api_and_the_cli_client(
    client: TestClient, world: World, cast: Cast, linkage: LinkageWorld, tmp_path: Path
) -> None:
    project = linkage.project(cast.steward, [cast.dwp, cast.moj])
    linkage.owner(project, cast.dwp_owner, steward=cast.steward)
    linkage.owner(project, cast.moj_owner, steward=cast.steward)
    dwp, moj = world.bearer(cast.dwp_owner), world.bearer(cast.moj_owner)
    steward = world.bearer(cast.steward)

    schema = client.get(f"/api/linkage/projects/{project.id}/schema", headers=dwp).json()
    assert schema["version"] == 1
    client.headers.update(dwp)
    answer = upload_file(client, project.id, linkage.encode(project, PEOPLE_A, A_OPTIONS))
    assert answer["records"] == 6
    client.headers.update(moj)
    upload_file(client, project.id, linkage.encode(project, PEOPLE_B, B_OPTIONS))
    wrong = client.post(
        f"/api/linkage/projects/{project.id}/encodings",
        files={"file": ("x.parquet", b"not parquet", "application/octet-stream")},
    )
    assert wrong.status_code == 422
    assert "not a Parquet encodings file" in wrong.text

    started = client.post(f"/api/linkage/projects/{project.id}/runs", json={}, headers=steward)
    assert started.status_code == 202
    run_id = started.json()["run_id"]
    work_until_empty(linkage.db)
    run = client.get(f"/api/linkage/runs/{run_id}", headers=steward).json()
    assert run["status"] == "succeeded"
    assert run["quality"]["at_threshold"]["links"] == 4

    client.headers.update(moj)
    out = tmp_path / "moj-mapping.csv"
    assert download_file(client, run_id, out) == 5
    client.headers.update(steward)
    refused = client.get(f"/api/linkage/runs/{run_id}/mapping")
    assert refused.status_code == 403


def test_cli_keygen_and_encode_offline(tmp_path: Path, linkage: LinkageWorld, cast: Cast) -> None:
    import json

    runner = CliRunner()
    key = tmp_path / "secret.key"
    assert runner.invoke(cli_app, ["linkage", "keygen", "-o", str(key)]).exit_code == 0
    assert len(key.read_text().strip()) == 64
    assert oct(key.stat().st_mode)[-3:] == "600"
    assert runner.invoke(cli_app, ["linkage", "keygen", "-o", str(key)]).exit_code == 1
    project = linkage.project(cast.steward, [cast.dwp, cast.moj])
    schema_file = tmp_path / "schema.json"
    schema_file.write_text(json.dumps(linkage.schema(project).model_dump(mode="json")))
    source = tmp_path / "people.parquet"
    PEOPLE_B.to_parquet(source)
    out = tmp_path / "enc.parquet"
    args = [
        "linkage",
        "encode",
        "--schema",
        str(schema_file),
        "--secret-file",
        str(key),
        str(source),
        "-o",
        str(out),
        "--column",
        "first_name=forename",
        "--column",
        "last_name=surname",
        "--column",
        "date_of_birth=dob",
        "--date-format",
        "date_of_birth=%d/%m/%Y",
        "--id-column",
        "ref",
    ]
    result = runner.invoke(cli_app, args)
    assert result.exit_code == 0, result.output
    assert "Encoded 5 records" in result.output
    assert out.exists()
    out.unlink()
    bad = runner.invoke(cli_app, [*args[:-4], "--date-format", "date_of_birth=%Y-%m-%d"])
    assert bad.exit_code == 1
    assert "not a real date" in bad.output
    assert not out.exists()
