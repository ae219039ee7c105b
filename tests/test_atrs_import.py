"""The 136 real ATRS records become published projects of their real publishing bodies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from missionhub.accounts.models import Organisation, OrgKind
from missionhub.accounts.seed import seed_departments
from missionhub.errors import Invalid
from missionhub.portfolio import atrs
from missionhub.portfolio.models import Project, Stage
from tests.conftest import require_data


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_every_record_becomes_a_project_of_its_publisher_with_provenance(
    session: Session,
) -> None:
    index = require_data("registry", "uk_atrs_index.json")
    expected = json.loads(index.read_text())["records"]
    seed_departments(session)
    report = atrs.import_index(session, index)
    assert (
        (report.created, report.updated, report.unchanged) == (len(expected), 0, 0) == (136, 0, 0)
    )
    hmrc = session.scalars(
        select(Project).join(Organisation).where(Organisation.name == "HM Revenue & Customs")
    ).all()
    assert {p.title for p in hmrc} == {
        r["tool_name"] for r in expected if r["publishing_body"] == "HMRC"
    }
    ask = next(p for p in hmrc if p.title == "Ask HMRC online")
    assert ask.source_url == expected[0]["url"]
    assert ask.source_licence == "Open Government Licence v3.0"
    assert ask.stage is Stage.LIVE
    assert "stage" in (ask.assumed_fields or {})
    assert ask.stage_events[0].entered_at.isoformat().startswith("2025-06-26")
    dvla = session.scalar(
        select(Organisation).where(Organisation.name == "Driver and Vehicle Licensing Agency")
    )
    assert dvla is not None
    assert dvla.kind is OrgKind.AGENCY
    assert dvla.parent is not None
    assert dvla.parent.name == "Department for Transport"


def test_records_without_a_stated_publisher_are_not_attributed_by_guesswork(
    session: Session,
) -> None:
    atrs.import_index(session, require_data("registry", "uk_atrs_index.json"))
    parlex = session.scalar(select(Project).where(Project.title == "DSIT - Parlex"))
    assert parlex is not None
    assert parlex.organisation.name == "Department for Science, Innovation and Technology"
    assert parlex.assumed_fields is not None
    assert "title" in parlex.assumed_fields["organisation"]
    trustid = session.scalar(select(Project).where(Project.title == "TrustID"))
    assert trustid is not None
    assert trustid.organisation.name == atrs.NOT_STATED


def test_reimporting_changes_nothing_and_duplicates_nothing(session: Session) -> None:
    index = require_data("registry", "uk_atrs_index.json")
    atrs.import_index(session, index)
    projects, orgs = count(session, Project), count(session, Organisation)
    again = atrs.import_index(session, index)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 136)
    assert (count(session, Project), count(session, Organisation)) == (projects, orgs)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read the ATRS index"),
        ('{"records": {}}', "expected an object with a 'records' list"),
        (
            '{"records": [{"url": "https://x", "tool_name": "A", "title": "A", '
            '"published": "2024-13-45", "description": "d"}]}',
            "records[0]",
        ),
        ('{"records": [{"tool_name": "A"}]}', "records[0]"),
    ],
)
def test_a_bad_file_is_refused_whole_and_writes_nothing(
    session: Session, tmp_path: Path, content: str, message: str
) -> None:
    bad = tmp_path / "index.json"
    bad.write_text(content)
    with pytest.raises(Invalid, match=message.replace("[", r"\[").replace("]", r"\]")):
        atrs.import_index(session, bad)
    assert count(session, Project) == 0
