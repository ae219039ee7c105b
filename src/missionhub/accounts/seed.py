"""The UK's ministerial and non-ministerial departments (GOV.UK organisations list, 2025),
seeded as organisations. Idempotent: existing names are left alone."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionhub.accounts.models import Organisation, OrgKind
from missionhub.text import slugify

MINISTERIAL: list[tuple[str, str | None]] = [
    ("Attorney General's Office", "AGO"),
    ("Cabinet Office", "CO"),
    ("Department for Business and Trade", "DBT"),
    ("Department for Culture, Media and Sport", "DCMS"),
    ("Department for Education", "DfE"),
    ("Department for Energy Security and Net Zero", "DESNZ"),
    ("Department for Environment, Food & Rural Affairs", "Defra"),
    ("Department for Science, Innovation and Technology", "DSIT"),
    ("Department for Transport", "DfT"),
    ("Department for Work and Pensions", "DWP"),
    ("Department of Health and Social Care", "DHSC"),
    ("Foreign, Commonwealth & Development Office", "FCDO"),
    ("HM Treasury", "HMT"),
    ("Home Office", "HO"),
    ("Ministry of Defence", "MOD"),
    ("Ministry of Housing, Communities & Local Government", "MHCLG"),
    ("Ministry of Justice", "MOJ"),
    ("Northern Ireland Office", "NIO"),
    ("Office of the Advocate General for Scotland", "OAG"),
    ("Office of the Leader of the House of Commons", None),
    ("Office of the Leader of the House of Lords", None),
    ("Office of the Secretary of State for Scotland", "Scotland Office"),
    ("Office of the Secretary of State for Wales", "Wales Office"),
    ("Prime Minister's Office, 10 Downing Street", None),
    ("UK Export Finance", "UKEF"),
]

NON_MINISTERIAL: list[tuple[str, str | None]] = [
    ("The Charity Commission", None),
    ("Competition and Markets Authority", "CMA"),
    ("Crown Prosecution Service", "CPS"),
    ("Food Standards Agency", "FSA"),
    ("Forestry Commission", None),
    ("Government Actuary's Department", "GAD"),
    ("Government Legal Department", "GLD"),
    ("HM Land Registry", "HMLR"),
    ("HM Revenue & Customs", "HMRC"),
    ("NS&I", "NS&I"),
    ("The National Archives", "TNA"),
    ("National Crime Agency", "NCA"),
    ("Office of Rail and Road", "ORR"),
    ("Ofgem", None),
    ("Ofqual", None),
    ("Ofsted", None),
    ("Serious Fraud Office", "SFO"),
    ("Supreme Court of the United Kingdom", "UKSC"),
    ("UK Statistics Authority", "UKSA"),
    ("The Water Services Regulation Authority", "Ofwat"),
]


def ensure_organisation(
    session: Session,
    name: str,
    kind: OrgKind,
    abbreviation: str | None = None,
    parent: Organisation | None = None,
) -> Organisation:
    """The organisation called ``name``, created if missing."""
    org = session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(
            name=name, slug=slugify(name), kind=kind, abbreviation=abbreviation, parent=parent
        )
        session.add(org)
        session.flush()
    return org


def seed_departments(session: Session) -> int:
    """Create the central government departments; returns how many were new."""
    before = session.query(Organisation).count()
    for name, abbr in MINISTERIAL:
        ensure_organisation(session, name, OrgKind.MINISTERIAL, abbr)
    for name, abbr in NON_MINISTERIAL:
        ensure_organisation(session, name, OrgKind.NON_MINISTERIAL, abbr)
    return session.query(Organisation).count() - before
