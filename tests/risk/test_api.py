"""The risk JSON API: the same services and rules as the pages."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from missionhub.risk.models import Risk, RiskDecision
from tests.factories import World
from tests.risk.factories import RiskWorld


def body(**changes: Any) -> dict[str, Any]:
    return {
        "title": "Supplier model drifts",
        "cause": "the supplier retrains the model without telling us",
        "event": "its answers change",
        "effect": "caseworkers act on wrong summaries",
        "category": "technology",
        "owner": "Product manager",
        "inherent_likelihood": 5,
        "inherent_impact": 4,
        "residual_likelihood": 4,
        "residual_impact": 4,
        "proximity": "near",
        "review_on": (date.today() + timedelta(days=20)).isoformat(),
        **changes,
    }


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_raise_escalate_and_decide_through_the_api(
    client: TestClient, session: Session, world: World
) -> None:
    dwp = world.department()
    member, cio = world.member(dwp), world.cio(dwp)
    project = world.project(member)
    created = client.post(
        f"/api/projects/{project.id}/risks", json=body(), headers=world.bearer(member)
    )
    assert created.status_code == 201, created.text
    risk = created.json()
    assert (risk["reference"], risk["residual_score"]) == ("R1", 16)
    assert [d["status"] for d in risk["decisions"]] == ["pending"]
    queue = client.get("/api/risk-decisions/pending", headers=world.bearer(cio)).json()
    assert [d["risk_id"] for d in queue] == [risk["id"]]
    decided = client.post(
        f"/api/risks/{risk['id']}/decision",
        json={
            "response": "treat",
            "rationale": "Contract clause for change notice",
            "expires_on": (date.today() + timedelta(days=60)).isoformat(),
        },
        headers=world.bearer(cio),
    )
    assert decided.status_code == 201, decided.text
    assert decided.json()["snapshot"]["residual_score"] == 16
    again = client.get(f"/api/risks/{risk['id']}", headers=world.bearer(member)).json()
    assert again["status"] == "treating"


def test_bad_input_is_a_422_naming_the_field_and_nothing_is_written(
    client: TestClient, session: Session, world: World, risks: RiskWorld
) -> None:
    dwp = world.department()
    member, cio = world.member(dwp), world.cio(dwp)
    project = world.project(member)
    auth = world.bearer(member)
    for changes, field in (
        ({"residual_likelihood": 6}, "residual_likelihood"),
        ({"inherent_impact": 0}, "inherent_impact"),
        ({"category": "weather"}, "category"),
    ):
        before = _count(session, Risk)
        response = client.post(
            f"/api/projects/{project.id}/risks", json=body(**changes), headers=auth
        )
        assert response.status_code == 422
        assert [e["loc"] for e in response.json()["detail"]] == [["body", field]]
        assert _count(session, Risk) == before
    risk = risks.risk(project, member, likelihood=4, impact=4)
    response = client.post(
        f"/api/risks/{risk.id}/decision",
        json={"response": "tolerate", "expires_on": "2030-01-01"},
        headers=world.bearer(cio),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "rationale"]
    assert session.scalars(select(RiskDecision.status)).all() == ["pending"]
    changed = client.put(f"/api/risks/{risk.id}", json=body(residual_impact=9), headers=auth)
    assert changed.status_code == 422
    session.refresh(risk)
    assert risk.residual_impact == 4


def test_other_departments_get_404_and_the_public_gets_aggregates(
    client: TestClient, world: World, risks: RiskWorld
) -> None:
    dwp, moj = world.department(), world.department("Ministry of Justice")
    member = world.member(dwp)
    risk = risks.risk(world.project(member), member, likelihood=4, impact=4)
    outsider = world.bearer(world.member(moj))
    assert client.get(f"/api/risks/{risk.id}", headers=outsider).status_code == 404
    assert client.get("/api/risks", headers=outsider).json() == []
    assert client.get(f"/api/risks/{risk.id}").status_code == 404
    dash = client.get(f"/api/risk-dashboard?organisation_id={dwp.id}").json()
    assert (dash["live"], dash["beyond_appetite"], dash["pending_decisions"]) == (1, 1, 1)
    cells = {(c["likelihood"], c["impact"]): c["count"] for c in dash["heat_map"]}
    assert len(cells) == 25
    assert cells[(4, 4)] == 1
    assert sum(cells.values()) == 1


def test_export_as_json_and_csv_holds_only_readable_risks(
    client: TestClient, world: World, risks: RiskWorld
) -> None:
    dwp, moj = world.department(), world.department("Ministry of Justice")
    dwp_member, moj_member = world.member(dwp), world.member(moj)
    mine = risks.risk(world.project(dwp_member), dwp_member, likelihood=4, impact=4)
    risks.risk(world.project(moj_member), moj_member)
    auth = world.bearer(dwp_member)
    rows = client.get("/api/risks/export", headers=auth).json()
    assert [r["id"] for r in rows] == [mine.id]
    assert (rows[0]["beyond_appetite"], rows[0]["decision_status"]) == (True, "pending")
    text = client.get("/api/risks/export?format=csv", headers=auth).text
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert (row["reference"], row["residual_score"], row["appetite_level"]) == (
        "R1",
        "16",
        "cautious",
    )


def test_appetite_over_the_api(client: TestClient, world: World) -> None:
    dwp = world.department()
    cio = world.bearer(world.cio(dwp))
    member = world.bearer(world.member(dwp))
    url = f"/api/organisations/{dwp.id}/risk-appetite"
    forbidden = client.put(
        url, json={"category": "legal", "level": "averse", "reason": "x"}, headers=member
    )
    assert forbidden.status_code == 403
    done = client.put(
        url,
        json={"category": "legal", "level": "averse", "reason": "Statutory duties"},
        headers=cio,
    )
    assert done.status_code == 200
    legal = next(a for a in done.json() if a["category"] == "legal")
    assert (legal["level"], legal["max_score"], legal["is_default"]) == ("averse", 3, False)
    bad = client.put(
        f"/api/organisations/{dwp.id}/risk-appetite-scale",
        json={"averse": 3, "minimal": 2, "cautious": 9, "open": 12, "eager": 16, "reason": "x"},
        headers=cio,
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "minimal"]
    history = client.get(f"{url}/history", headers=member).json()
    assert [(h["category"], h["to_level"], h["reason"]) for h in history] == [
        ("legal", "averse", "Statutory duties")
    ]
    assert client.get(url).status_code == 403, "appetite is for civil servants"
