"""Case studies (review, publish, withdraw, Q&A), components and reuse, and exports."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from missionhub.accounts.permissions import Actor, Visibility
from missionhub.errors import Conflict, Invalid, NotFound, PermissionDenied
from missionhub.learning import export, library
from missionhub.learning.models import CaseStudyStatus
from missionhub.learning.schemas import AnswerIn, CaseStudyIn, QuestionIn, ReuseIn
from missionhub.portfolio import projects
from missionhub.portfolio.models import LessonKind
from missionhub.portfolio.schemas import LessonIn
from tests.factories import World
from tests.learning.factories import case_study, component


def test_case_study_is_reviewed_in_the_department_before_the_public_sees_it(world: World) -> None:
    dwp = world.department()
    alice, cio = world.member(dwp), world.cio(dwp)
    study = case_study(world, alice)
    public = Actor.public()
    with pytest.raises(NotFound):
        library.get_case_study(world.session, actor=public, case_study_id=study.id)
    library.submit_for_review(world.session, actor=world.actor(alice), case_study_id=study.id)
    with pytest.raises(PermissionDenied):
        library.publish(world.session, actor=world.actor(alice), case_study_id=study.id)
    outsider = world.cio(world.department("Ministry of Justice"))
    with pytest.raises(NotFound):
        library.publish(world.session, actor=world.actor(outsider), case_study_id=study.id)
    library.publish(world.session, actor=world.actor(cio), case_study_id=study.id)
    assert library.get_case_study(world.session, actor=public, case_study_id=study.id) is study
    with pytest.raises(Conflict):
        library.publish(world.session, actor=world.actor(cio), case_study_id=study.id)
    library.withdraw(
        world.session, actor=world.actor(cio), case_study_id=study.id, reason="Out of date"
    )
    assert study.status is CaseStudyStatus.WITHDRAWN
    with pytest.raises(NotFound):
        library.get_case_study(world.session, actor=public, case_study_id=study.id)


def test_a_stopped_project_prefills_a_case_study(world: World) -> None:
    dwp = world.department()
    alice = world.member(dwp)
    project = world.project(
        alice, title="Jobcentre kiosk", summary="Self-service kiosks", problem="Long queues"
    )
    projects.add_lesson(
        world.session,
        actor=world.actor(alice),
        project_id=project.id,
        data=LessonIn(kind=LessonKind.DID_NOT_WORK, title="Footfall", body="Too few visitors"),
    )
    world.kpi(project, alice, actual="45")
    world.stop(project)
    values = library.prefill_from_project(
        world.session, actor=world.actor(alice), project_id=project.id
    )
    assert values["title"] == "Jobcentre kiosk"
    assert values["outcomes"].startswith("Stopped: User need not found")
    assert "Footfall: Too few visitors" in values["did_not_work"]
    assert "Attendance: baseline 40" in values["kpi_evidence"]
    data = CaseStudyIn.model_validate({**values, "contact_role": "Service owner"})
    study = library.create_case_study(world.session, actor=world.actor(alice), data=data)
    assert study.organisation_id == dwp.id
    assert study.project_id == project.id


def test_case_studies_only_about_projects_one_can_edit(world: World) -> None:
    moj_project = world.project(world.member(world.department("Ministry of Justice")))
    alice = world.member(world.department())
    data = CaseStudyIn(
        project_id=moj_project.id, title="t", summary="s", problem="p", contact_role="r"
    )
    with pytest.raises(PermissionDenied):
        library.create_case_study(world.session, actor=world.actor(alice), data=data)
    with pytest.raises(ValidationError, match="web address"):
        CaseStudyIn(title="t", summary="s", problem="p", contact_role="r", links="not-a-link")


def test_questions_from_members_answers_published_by_the_team(world: World) -> None:
    dwp = world.department()
    alice = world.member(dwp)
    study = case_study(world, alice, publish=True)
    asker = world.member(world.department("Ministry of Justice"))
    with pytest.raises(PermissionDenied):
        library.ask(
            world.session, actor=Actor.public(), case_study_id=study.id, data=QuestionIn(body="?")
        )
    q = library.ask(
        world.session,
        actor=world.actor(asker),
        case_study_id=study.id,
        data=QuestionIn(body="Cost?"),
    )
    with pytest.raises(PermissionDenied):
        library.answer(
            world.session,
            actor=world.actor(asker),
            case_study_id=study.id,
            question_id=q.id,
            data=AnswerIn(answer="x"),
        )
    library.answer(
        world.session,
        actor=world.actor(alice),
        case_study_id=study.id,
        question_id=q.id,
        data=AnswerIn(answer="About £40k", published=False),
    )
    assert library.visible_questions(Actor.public(), study) == []
    assert library.visible_questions(world.actor(asker), study) == [q]
    q.published = True
    assert library.visible_questions(Actor.public(), study) == [q]


def test_projects_record_reuse_and_counts_show(world: World) -> None:
    dwp, moj = world.department(), world.department("Ministry of Justice")
    alice, bob = world.member(dwp), world.member(moj)
    api = component(world, alice)
    private = component(world, alice, name="Internal model", visibility=Visibility.DRAFT)
    project = world.project(bob)
    library.record_reuse(
        world.session,
        actor=world.actor(bob),
        project_id=project.id,
        data=ReuseIn(component_id=api.id),
    )
    assert len(api.reuses) == 1
    assert library.reuses_of_project(
        world.session, actor=world.actor(bob), project_id=project.id
    ) == [api]
    with pytest.raises(Invalid, match="already records"):
        library.record_reuse(
            world.session,
            actor=world.actor(bob),
            project_id=project.id,
            data=ReuseIn(component_id=api.id),
        )
    with pytest.raises(Invalid, match="No such component"):
        library.record_reuse(
            world.session,
            actor=world.actor(bob),
            project_id=project.id,
            data=ReuseIn(component_id=private.id),
        )
    with pytest.raises(PermissionDenied):
        library.record_reuse(
            world.session,
            actor=world.actor(alice),
            project_id=project.id,
            data=ReuseIn(component_id=api.id),
        )
    page = library.list_components(world.session, actor=Actor.public())
    assert [c.name for c in page.items] == ["Address matching API"]


def test_catalogue_and_atrs_export(world: World) -> None:
    alice = world.member(world.department())
    ai = world.project(
        alice,
        visibility=Visibility.PUBLISHED,
        title="Letter triage",
        summary="Sorts incoming letters",
        uses_ai=True,
        atrs_capability="computer-linguistics",
        atrs_phase="beta-pilot",
    )
    world.project(alice, visibility=Visibility.DRAFT, title="Hidden idea")
    rows = export.catalogue_rows(world.session, actor=Actor.public())
    assert [r["title"] for r in rows] == ["Letter triage"]
    record = export.atrs_record(world.session, actor=Actor.public(), project_id=ai.id)
    assert record["tier_1"]["name"] == "Letter triage"
    assert record["tier_1"]["capability"] == "Computer linguistics"
    assert record["tier_1"]["phase"] == "Beta/Pilot"
    assert "tier_2.data_specification" in record["not_held"]
    plain = world.project(alice, title="Not AI")
    with pytest.raises(Invalid):
        export.atrs_record(world.session, actor=world.actor(alice), project_id=plain.id)


def test_hidden_reuses_and_linked_drafts_are_not_disclosed(world: World, client) -> None:  # type: ignore[no-untyped-def]
    """Review findings: a published component counted reuse by a draft project, and a published
    case study named a draft component and the draft project it was about."""
    dwp, moj = world.department(), world.department("Ministry of Justice")
    alice, bob = world.member(dwp), world.member(moj)
    api = component(world, alice, visibility=Visibility.PUBLISHED)
    secret_project = world.project(bob, visibility=Visibility.DRAFT, title="Hidden MoJ project")
    library.record_reuse(
        world.session,
        actor=world.actor(bob),
        project_id=secret_project.id,
        data=ReuseIn(component_id=api.id),
    )
    assert (
        library.visible_reuse_counts(world.session, actor=Actor.public(), component_ids=[api.id])
        == {}
    )
    assert library.visible_reuse_counts(
        world.session, actor=world.actor(bob), component_ids=[api.id]
    ) == {api.id: 1}
    response = client.get("/api/learning/components")
    listed = response.json()
    assert response.status_code == 200, listed
    assert listed[0]["reuse_count"] == 0, listed
    draft_component = component(
        world, alice, name="Internal fraud-scoring model v2", visibility=Visibility.DRAFT
    )
    study = case_study(
        world,
        alice,
        publish=True,
        project_id=world.project(alice, visibility=Visibility.DRAFT, title="Draft DWP project").id,
    )
    study.components.append(draft_component)
    world.session.flush()
    page = client.get(f"/case-studies/{study.id}").text
    assert "Internal fraud-scoring model v2" not in page
    assert "Draft DWP project" not in page
