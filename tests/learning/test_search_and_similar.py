"""Search and similar projects on SQLite and PostgreSQL: ranking, filters, snippets, and the
visibility rules (a draft never reaches someone who may not read it)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from missionhub.accounts.permissions import Actor, Visibility
from missionhub.errors import PermissionDenied
from missionhub.learning import similar
from missionhub.learning.models import DocKind, SearchDocument, Verdict
from missionhub.learning.search import SearchQuery, search
from missionhub.portfolio import projects
from missionhub.portfolio.models import Stage
from missionhub.portfolio.schemas import MissionLinkIn, ProjectIn
from tests.factories import World
from tests.learning.factories import case_study

CHATBOT = "A chatbot that answers questions about tax credits and benefit claims online"


def _titles(world: World, actor: Actor, text: str = "", **filters: object) -> list[str]:
    page = search(world.session, actor=actor, query=SearchQuery(text=text, **filters))  # type: ignore[arg-type]
    return [h.document.title for h in page.items]


@pytest.fixture
def scene(world: World) -> dict[str, object]:
    dwp, moj = world.department(), world.department("Ministry of Justice")
    alice, bob = world.member(dwp), world.member(moj)
    world.missions()
    return {
        "dwp": dwp,
        "alice": alice,
        "bob": bob,
        "published": world.project(
            alice, visibility=Visibility.PUBLISHED, title="Benefits chatbot", summary=CHATBOT
        ),
        "internal": world.project(
            alice,
            visibility=Visibility.INTERNAL,
            title="Fraud triage model",
            summary="Scores benefit claims for fraud review by caseworkers",
        ),
        "draft": world.project(
            bob,
            visibility=Visibility.DRAFT,
            title="Secret court chatbot",
            summary="A chatbot that answers questions about court hearings and benefit claims",
        ),
    }


def test_search_ranks_title_matches_and_highlights_snippets(
    world: World, scene: dict[str, object]
) -> None:
    page = search(world.session, actor=Actor.system(), query=SearchQuery(text="chatbot"))
    assert next(h.document.title for h in page.items) == "Benefits chatbot"
    top = page.items[0]
    assert top.title_html == "Benefits <mark>chatbot</mark>"
    assert "<mark>chatbot</mark>" in top.snippet_html
    assert page.total == 2


def test_drafts_reach_only_their_own_organisation(world: World, scene: dict[str, object]) -> None:
    alice, bob = world.actor(scene["alice"]), world.actor(scene["bob"])  # type: ignore[arg-type]
    assert _titles(world, Actor.public(), "chatbot") == ["Benefits chatbot"]
    assert _titles(world, Actor.public(), "benefit") == ["Benefits chatbot"]
    assert "Secret court chatbot" not in _titles(world, alice, "chatbot")
    assert "Secret court chatbot" in _titles(world, bob, "chatbot")
    assert set(_titles(world, alice, "benefit claims")) == {
        "Benefits chatbot",
        "Fraud triage model",
    }
    assert _titles(world, Actor.public(), "") == ["Benefits chatbot"]


def test_index_follows_edits_and_visibility_changes(world: World, scene: dict[str, object]) -> None:
    draft = scene["draft"]
    bob = world.actor(scene["bob"])  # type: ignore[arg-type]
    data = ProjectIn(
        title="Court hearings assistant",
        summary="Answers hearing questions",
        visibility="published",
    )
    projects.update_project(world.session, actor=bob, project_id=draft.id, data=data)  # type: ignore[attr-defined]
    assert _titles(world, Actor.public(), "hearing") == ["Court hearings assistant"]
    assert _titles(world, Actor.public(), "secret") == []


@pytest.mark.parametrize("typed", ['"unclosed', "AND OR NOT", "*", "-x", "chat*", "a:b", "(("])
def test_odd_input_never_breaks_search(world: World, scene: dict[str, object], typed: str) -> None:
    search(world.session, actor=Actor.public(), query=SearchQuery(text=typed))


def test_filters_by_kind_stage_mission_and_organisation(
    world: World, scene: dict[str, object]
) -> None:
    system = Actor.system()
    published = scene["published"]
    world.advance(published, Stage.DISCOVERY)  # type: ignore[arg-type]
    case_study(world, scene["alice"], publish=True, title="What the chatbot taught us")  # type: ignore[arg-type]
    assert _titles(world, system, "chatbot", kind=DocKind.CASE_STUDY) == [
        "What the chatbot taught us"
    ]
    assert _titles(world, system, "chatbot", stage="discovery") == ["Benefits chatbot"]
    assert _titles(world, system, "chatbot", organisation="Ministry of Justice") == [
        "Secret court chatbot"
    ]
    assert _titles(world, system, "chatbot", country="United States") == []
    missions = world.missions()
    projects.add_mission_link(
        world.session,
        actor=world.actor(scene["alice"]),  # type: ignore[arg-type]
        project_id=published.id,  # type: ignore[attr-defined]
        data=MissionLinkIn(mission_id=missions["nhs"].id, contribution="Frees up time"),
    )
    assert _titles(world, system, "", mission_id=missions["nhs"].id) == ["Benefits chatbot"]


def test_similar_projects_cross_organisations_but_never_leak_drafts(
    world: World, scene: dict[str, object]
) -> None:
    text = "An online chatbot to answer citizens' questions about their benefit claims"
    alice = world.actor(scene["alice"])  # type: ignore[arg-type]
    found = [
        s.document.title for s in similar.similar_to_text(world.session, actor=alice, text=text)
    ]
    assert found[0] == "Benefits chatbot"
    assert "Secret court chatbot" not in found
    bob = world.actor(scene["bob"])  # type: ignore[arg-type]
    found_by_bob = [
        s.document.title for s in similar.similar_to_text(world.session, actor=bob, text=text)
    ]
    assert "Secret court chatbot" in found_by_bob
    public = similar.similar_to_text(world.session, actor=Actor.public(), text=text)
    assert {s.document.visibility for s in public} == {Visibility.PUBLISHED}


def test_project_page_similar_excludes_itself_and_its_case_studies(
    world: World, scene: dict[str, object]
) -> None:
    published = scene["published"]
    case_study(world, scene["alice"], publish=True, project_id=published.id, summary=CHATBOT)  # type: ignore[arg-type, attr-defined]
    found = similar.similar_to_project(
        world.session,
        actor=Actor.system(),
        project_id=published.id,  # type: ignore[attr-defined]
    )
    assert all(
        s.document.ref_id != published.id or s.document.kind is not DocKind.PROJECT for s in found
    )  # type: ignore[attr-defined]
    assert "Secret court chatbot" in [s.document.title for s in found]
    assert all(s.document.kind is not DocKind.CASE_STUDY for s in found)


def test_duplicate_report_remembers_decisions(world: World, scene: dict[str, object]) -> None:
    dwp = scene["dwp"]
    cio = world.actor(world.cio(dwp))  # type: ignore[arg-type]
    twin = world.project(
        scene["alice"],  # type: ignore[arg-type]
        title="Benefits chatbot pilot",
        summary=CHATBOT + " for claimants",
    )
    candidates = similar.duplicate_candidates(world.session, actor=cio)
    pairs = {(c.project.id, c.other.title) for c in candidates}
    assert (twin.id, "Benefits chatbot") in pairs
    similar.decide(
        world.session,
        actor=cio,
        project_id=twin.id,
        other_kind=DocKind.PROJECT,
        other_ref_id=scene["published"].id,  # type: ignore[attr-defined]
        verdict=Verdict.SAME,
    )
    after = {
        (c.project.id, c.other.title)
        for c in similar.duplicate_candidates(world.session, actor=cio)
    }
    assert (twin.id, "Benefits chatbot") not in after
    shown = similar.similar_to_project(world.session, actor=cio, project_id=twin.id)
    assert any(s.decision and s.decision.verdict is Verdict.SAME for s in shown)
    with pytest.raises(PermissionDenied):
        similar.duplicate_candidates(world.session, actor=world.actor(scene["alice"]))  # type: ignore[arg-type]
    other_cio = world.actor(world.cio(world.department("Ministry of Justice")))
    with pytest.raises(PermissionDenied):
        similar.decide(
            world.session,
            actor=other_cio,
            project_id=twin.id,
            other_kind=DocKind.PROJECT,
            other_ref_id=scene["published"].id,  # type: ignore[attr-defined]
            verdict=Verdict.DISMISSED,
        )


def test_deleted_documents_drop_out_of_the_similarity_index(
    world: World, scene: dict[str, object]
) -> None:
    text = "chatbot that answers questions about tax credits and benefit claims"
    assert similar.similar_to_text(world.session, actor=Actor.system(), text=text)
    world.session.execute(
        SearchDocument.__table__.delete().where(SearchDocument.title == "Benefits chatbot")
    )
    titles = [
        s.document.title
        for s in similar.similar_to_text(world.session, actor=Actor.system(), text=text)
    ]
    assert "Benefits chatbot" not in titles
    assert (
        world.session.scalar(
            select(SearchDocument.id).where(SearchDocument.title == "Benefits chatbot")
        )
        is None
    )


def test_broad_queries_rank_a_bounded_set_and_still_hide_drafts(
    world: World, scene: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    from missionhub.learning import search as search_module

    alice = world.member(scene["dwp"])  # type: ignore[arg-type]
    for i in range(4):
        world.project(
            alice, visibility=Visibility.PUBLISHED, title=f"Chatbot {i}", summary="A chatbot"
        )
    monkeypatch.setattr(search_module, "RANK_CAP", 3)
    page = search(world.session, actor=Actor.public(), query=SearchQuery(text="chatbot"))
    assert page.more  # five public matches: four new ones and "Benefits chatbot"
    assert page.total == 3
    titles = {h.document.title for h in page.items}
    assert len(titles) == 3
    assert "Secret court chatbot" not in titles
    if world.session.get_bind().dialect.name == "sqlite":  # the newest are ranked
        assert titles == {"Chatbot 1", "Chatbot 2", "Chatbot 3"}
    full = search(world.session, actor=Actor.system(), query=SearchQuery(text="court chatbot"))
    assert not full.more
    assert full.total == 1
    assert [h.document.title for h in full.items] == ["Secret court chatbot"]
