"""The web pages: an officer loads files (the OCDS load runs as a background job), sees the SME
share with the rows behind each figure, audits a contract and publishes the pipeline."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from missionhub.db.session import Database
from missionhub.jobs.models import Job, JobStatus
from missionhub.jobs.worker import work_until_empty
from missionhub.procurement.models import Award
from missionhub.web.security import SESSION_COOKIE, _sign
from tests.conftest import TEST_SECRET, require_data
from tests.factories import World
from tests.procurement.factories import Procurement, fresh, package_bytes, real_package


def token(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text[:500]
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def test_officer_loads_ocds_as_a_job_then_sees_sme_share_rows_and_an_audit(
    client: TestClient, world: World, buying: Procurement, db: Database, session
) -> None:
    dwp = world.department("Department for Work and Pensions")
    officer = buying.officer(dwp)
    world.sign_in(client, officer)
    releases = [fresh(r) for r in real_package()["releases"][:40]]
    csrf = token(client, "/procurement/ingest")
    response = client.post(
        "/procurement/ingest",
        data={"csrf_token": csrf, "encoding": "utf-8"},
        files={"file": ("cf.json", package_bytes(releases), "application/json")},
    )
    assert response.status_code == 303
    job_path = response.headers["location"]
    assert job_path.startswith("/jobs/")
    assert work_until_empty(db) == 1
    job = session.get(Job, int(job_path.rsplit("/", 1)[1]))
    session.refresh(job)
    assert job.status is JobStatus.SUCCEEDED, job.error
    assert job.result["releases_new"] == 40
    page = client.get(job_path)
    assert "See what was loaded" in page.text
    report = client.get(job.result["link"])
    assert report.status_code == 200
    assert "New releases" in report.text

    share = client.get("/procurement/sme-share")
    assert share.status_code == 200
    assert "sme-share-table" in share.text
    link = re.search(r'href="(/procurement/sme-share/rows\?[^"]*column=C[^"]*)"', share.text)
    assert link
    rows = client.get(link.group(1).replace("&amp;", "&"))
    assert rows.status_code == 200
    csv_text = client.get("/procurement/sme-share.csv").text
    assert csv_text.splitlines()[0].startswith("department,financial_year,basis,B,C")

    award = session.scalar(select(Award).where(Award.organisation_id == dwp.id).limit(1))
    assert award is not None
    audit = client.get(f"/procurement/audit?award={award.id}")
    assert audit.status_code == 200
    assert "audit-result" in audit.text
    assert client.get(f"/procurement/audit.csv?award={award.id}").status_code == 200


def test_a_broken_upload_fails_the_job_and_writes_nothing(
    client: TestClient, world: World, buying: Procurement, db: Database, session
) -> None:
    world.sign_in(client, buying.officer())
    before = buying.counts()
    response = client.post(
        "/procurement/ingest",
        data={"csrf_token": token(client, "/procurement/ingest")},
        files={"file": ("cut.json", package_bytes([fresh(real_package()["releases"][0])])[:-40],
                        "application/json")},
    )  # fmt: skip
    work_until_empty(db)
    job = session.get(Job, int(response.headers["location"].rsplit("/", 1)[1]))
    session.refresh(job)
    assert job.status is JobStatus.FAILED
    assert "cut short" in job.error
    counts = buying.counts()
    assert counts["ocds_releases"] == before["ocds_releases"]


def test_forms_need_csrf_and_the_right_role(client: TestClient, world: World, buying) -> None:
    member = world.member(world.department())
    world.sign_in(client, member)
    files = {"file": ("cf.json", b"{}", "application/json")}
    assert client.post("/procurement/ingest", files=files).status_code == 403  # no CSRF token
    csrf = _sign(TEST_SECRET, "csrf", client.cookies[SESSION_COOKIE])
    refused = client.post("/procurement/ingest", data={"csrf_token": csrf}, files=files)
    assert refused.status_code == 403
    world.sign_in(client, None)
    assert client.get("/procurement/sme-share").status_code == 303  # sign in first
    assert client.get("/pipeline").status_code == 200  # the pipeline is public


def test_spend_upload_and_pipeline_forms(client: TestClient, world: World, buying) -> None:
    hmt = world.department("HM Treasury")
    world.sign_in(client, buying.officer(hmt))
    path = require_data("procurement", "hmt_spend_over_25k_2025Q1.csv")
    response = client.post(
        "/procurement/spend",
        data={"csrf_token": token(client, "/procurement/spend")},
        files={"file": (path.name, path.read_bytes(), "text/csv")},
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert "Suppliers not in the register" in page.text
    bad = client.post(
        "/procurement/spend",
        data={"csrf_token": token(client, "/procurement/spend")},
        files={"file": ("bad.csv", b"Supplier,Amount\nA,1\n", "text/csv")},
    )
    assert bad.status_code == 400
    assert "There is a problem" in bad.text

    csrf = token(client, "/pipeline/new")
    empty = client.post("/pipeline/new", data={"csrf_token": csrf})
    assert empty.status_code == 400
    assert "Enter title" in empty.text
    created = client.post("/pipeline/new", data={
        "csrf_token": csrf, "title": "Data platform", "description": "A data platform.",
        "estimated_value": "250000", "notice_type": "UK1", "publish_on-day": "1",
        "publish_on-month": "2", "publish_on-year": "2026", "visibility": "published",
        "sme_suitable": "true",
    })  # fmt: skip
    assert created.status_code == 303
    planned_path = created.headers["location"]
    world.sign_in(client, None)
    assert "Data platform" in client.get(planned_path).text
    package = json.loads(client.get(planned_path + ".json").text)
    assert package["releases"][0]["planning"]["documents"][0]["noticeType"] == "UK1"
