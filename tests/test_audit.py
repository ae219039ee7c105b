"""Every write is in the audit log: who, when, what, before and after."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from missionhub.accounts.audit import history_for
from missionhub.accounts.models import AuditEvent
from missionhub.accounts.permissions import Visibility
from missionhub.portfolio import projects
from missionhub.portfolio.models import Stage
from missionhub.portfolio.schemas import KpiActualIn, ProjectIn
from tests.factories import World


def events(session: Session, entity_type: str) -> list[AuditEvent]:
    session.flush()
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == entity_type).order_by(AuditEvent.id)
        )
    )


def test_creating_and_editing_a_project_records_who_and_what_changed(
    world: World, session: Session
) -> None:
    member = world.member(world.department())
    project = world.project(member, title="Original title")
    session.info["actor"] = world.actor(member)
    projects.update_project(
        session,
        actor=world.actor(member),
        project_id=project.id,
        data=ProjectIn(title="New title", summary=project.summary, visibility=Visibility.INTERNAL),
    )
    created, updated = events(session, "projects")
    assert created.action == "create"
    assert created.after is not None
    assert created.after["title"] == "Original title"
    assert updated.action == "update"
    assert updated.actor_user_id == member.id
    assert member.email in updated.actor_label
    assert updated.before == {"title": "Original title"}
    assert updated.after is not None
    assert updated.after["title"] == "New title"


def test_child_records_show_on_the_project_history(world: World, session: Session) -> None:
    dwp = world.department()
    member = world.member(dwp)
    project = world.project(member)
    kpi = world.kpi(project, member)
    projects.record_actual(
        session,
        actor=world.actor(member),
        project_id=project.id,
        kpi_id=kpi.id,
        data=KpiActualIn(observed_on=date(2026, 2, 1), value=Decimal("45")),
    )
    world.advance(project, Stage.DISCOVERY)
    session.flush()
    kinds = {e.entity_type for e in history_for(session, "projects", project.id)}
    assert {"projects", "stage_events", "kpis", "kpi_actuals", "gate_decisions"} <= kinds


def test_password_hashes_never_reach_the_audit_log(world: World, session: Session) -> None:
    world.member(world.department())
    (created,) = events(session, "users")
    assert created.after is not None
    assert "password_hash" not in created.after
    assert "email" in created.after


def test_deletes_keep_the_values_that_were_removed(world: World, session: Session) -> None:
    member = world.member(world.department())
    project = world.project(member)
    kpi = world.kpi(project, member, name="Victims supported")
    projects.remove_child(
        session, actor=world.actor(member), project_id=project.id, kind="kpis", child_id=kpi.id
    )
    deleted = [e for e in events(session, "kpis") if e.action == "delete"]
    assert len(deleted) == 1
    assert deleted[0].before is not None
    assert deleted[0].before["name"] == "Victims supported"


def test_a_failed_request_leaves_no_audit_trace(
    client: TestClient, world: World, session: Session
) -> None:
    member = world.member(world.department())
    world.sign_in(client, member)
    before = len(events(session, "projects"))
    page = client.get("/projects/new").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/projects/new", data={"title": "", "summary": "", "csrf_token": token})
    assert response.status_code == 400
    assert len(events(session, "projects")) == before


def test_admins_read_the_whole_log_and_record_pages_show_their_history(
    client: TestClient, world: World
) -> None:
    member = world.member(world.department())
    project = world.project(member, title="Audited project")
    world.sign_in(client, world.admin())
    log = client.get("/admin/audit?entity_type=projects")
    assert log.status_code == 200
    assert "Audited project" in log.text
    world.sign_in(client, member)
    assert client.get("/admin/audit").status_code == 403
    assert "Record history" in client.get(f"/projects/{project.id}").text
