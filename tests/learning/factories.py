"""Learning factories: case studies, components and small inventory files, in the domain's words."""

from __future__ import annotations

from pathlib import Path

from missionhub.accounts.models import User
from missionhub.learning import library
from missionhub.learning.models import CaseStudy, Component, ComponentKind, Maturity
from missionhub.learning.schemas import CaseStudyIn, ComponentIn
from tests.factories import World

US_2025_HEADER = (
    "agency,agency_name,id,use_case_name,agency_bureau,is_withheld,development_stage,"
    "topic_area,classification,problem_solved,benefits,system_outputs,data_description,"
    "operational_date\n"
)
EU_HEADER = (
    "name,type,url,contact,description,geoextent,geocoverage,lead_organisation_name,"
    "lead_organisation_category,start_date,active,end_date,primary_sector,secondary_sector,"
    "cross_sector,cross_border,technology,status,uptake\n"
)


def case_study(world: World, author: User, *, publish: bool = False, **fields: object) -> CaseStudy:
    data = {
        "title": "Court attendance support: what we learned",
        "summary": "Text reminders helped victims attend court.",
        "problem": "Victims of domestic abuse miss hearings.",
        "contact_role": "Head of Digital",
        **fields,
    }
    study = library.create_case_study(
        world.session, actor=world.actor(author), data=CaseStudyIn.model_validate(data)
    )
    if publish:
        library.submit_for_review(world.session, actor=world.actor(author), case_study_id=study.id)
        org = author.organisation
        library.publish(world.session, actor=world.actor(world.cio(org)), case_study_id=study.id)
    return study


def component(world: World, owner: User, **fields: object) -> Component:
    data = {
        "name": "Address matching API",
        "kind": ComponentKind.API,
        "description": "Matches free-text addresses to UPRNs.",
        "owner": "Data Science Hub",
        "maturity": Maturity.SUPPORTED,
        "visibility": "published",
        **fields,
    }
    return library.create_component(
        world.session, actor=world.actor(owner), data=ComponentIn.model_validate(data)
    )


def write(path: Path, text: str, bom: bool = False) -> Path:
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path
