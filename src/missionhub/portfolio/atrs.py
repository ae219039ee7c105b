"""Import the UK Algorithmic Transparency Recording Standard (ATRS) index as projects.

Each record becomes a published project of its real publishing body. What came from the record
is listed in ``imported_fields``; what the index does not say but a project needs (its stage)
is listed in ``assumed_fields`` with the reason, and shown as assumed wherever it appears.
Re-running updates the same projects (keyed on the record's address), never duplicates them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionhub.accounts.models import Organisation, OrgKind
from missionhub.accounts.permissions import Visibility
from missionhub.accounts.seed import ensure_organisation
from missionhub.errors import FieldError, Invalid
from missionhub.portfolio.models import Project, Stage, StageEvent

SOURCE = "uk-atrs"
LICENCE = "Open Government Licence v3.0"
NOT_STATED = "Publishing body not stated in the ATRS index"
STAGE_NOTE = (
    "The ATRS index does not give a phase. ATRS records are published for tools in "
    "use or being piloted, so the stage is recorded as live; treat it as unverified."
)

M, N, A, L, D, P = (
    OrgKind.MINISTERIAL,
    OrgKind.NON_MINISTERIAL,
    OrgKind.AGENCY,
    OrgKind.LOCAL_AUTHORITY,
    OrgKind.DEVOLVED,
    OrgKind.PUBLIC_CORPORATION,
)

# Publishing body as written in the index -> (organisation name, kind, parent department).
BODIES: dict[str, tuple[str, OrgKind, str | None]] = {
    "HMRC": ("HM Revenue & Customs", N, None),
    "DSIT": ("Department for Science, Innovation and Technology", M, None),
    "DWP": ("Department for Work and Pensions", M, None),
    "DfE": ("Department for Education", M, None),
    "DESNZ": ("Department for Energy Security and Net Zero", M, None),
    "DBT": ("Department for Business and Trade", M, None),
    "MoJ": ("Ministry of Justice", M, None),
    "Cabinet Office": ("Cabinet Office", M, None),
    "HMT": ("HM Treasury", M, None),
    "FCDO": ("Foreign, Commonwealth & Development Office", M, None),
    "Home Office": ("Home Office", M, None),
    "MOD": ("Ministry of Defence", M, None),
    "DEFRA": ("Department for Environment, Food & Rural Affairs", M, None),
    "MHCLG": ("Ministry of Housing, Communities & Local Government", M, None),
    "UK Export Finance": ("UK Export Finance", M, None),
    "NS&I": ("NS&I", N, None),
    "Food Standards Agency": ("Food Standards Agency", N, None),
    "The Crown Prosecution Service": ("Crown Prosecution Service", N, None),
    "Department for Health and Social Care and NHS Digital": (
        "Department of Health and Social Care",
        M,
        None,
    ),
    "GOV.UK Data Labs (Cabinet Office)": ("Cabinet Office", M, None),
    "Money and Pensions Service": (
        "Money and Pensions Service",
        A,
        "Department for Work and Pensions",
    ),
    "DVLA": ("Driver and Vehicle Licensing Agency", A, "Department for Transport"),
    "DVSA": ("Driver and Vehicle Standards Agency", A, "Department for Transport"),
    "ICO": (
        "Information Commissioner's Office",
        A,
        "Department for Science, Innovation and Technology",
    ),
    "Care Quality Commission": (
        "Care Quality Commission",
        A,
        "Department of Health and Social Care",
    ),
    "NICE": (
        "National Institute for Health and Care Excellence",
        A,
        "Department of Health and Social Care",
    ),
    "Standards and Testing Agency": ("Standards and Testing Agency", A, "Department for Education"),
    "Maritime and Coastguard Agency": (
        "Maritime and Coastguard Agency",
        A,
        "Department for Transport",
    ),
    "NHS BSA": ("NHS Business Services Authority", A, "Department of Health and Social Care"),
    "HMPPS": ("HM Prison and Probation Service", A, "Ministry of Justice"),
    "The Probation Service": ("The Probation Service", A, "Ministry of Justice"),
    "NHS England": ("NHS England", A, "Department of Health and Social Care"),
    "Insolvency Service": ("Insolvency Service", A, "Department for Business and Trade"),
    "OSBC": ("Office of the Small Business Commissioner", A, "Department for Business and Trade"),
    "Natural England": ("Natural England", A, "Department for Environment, Food & Rural Affairs"),
    "Environment Agency": (
        "Environment Agency",
        A,
        "Department for Environment, Food & Rural Affairs",
    ),
    "BDUK": ("Building Digital UK", A, "Department for Science, Innovation and Technology"),
    "IPO": ("Intellectual Property Office", A, "Department for Science, Innovation and Technology"),
    "Met Office": ("Met Office", A, "Department for Science, Innovation and Technology"),
    "Student Loans Company": ("Student Loans Company", A, "Department for Education"),
    "Oak National Academy": ("Oak National Academy", A, "Department for Education"),
    "Office for Students": ("Office for Students", A, "Department for Education"),
    "LGSCO": ("Local Government and Social Care Ombudsman", A, None),
    "Public Sector Fraud Authority": ("Public Sector Fraud Authority", A, "Cabinet Office"),
    "Valuation Office Agency": ("Valuation Office Agency", A, "HM Revenue & Customs"),
    "UKHO": ("UK Hydrographic Office", A, "Ministry of Defence"),
    "NHS Blood & Transplant": (
        "NHS Blood and Transplant",
        A,
        "Department of Health and Social Care",
    ),
    "UK Heath Security Agency": (
        "UK Health Security Agency",
        A,
        "Department of Health and Social Care",
    ),
    "Health Research Authority": (
        "Health Research Authority",
        A,
        "Department of Health and Social Care",
    ),
    "Office for National Statistics": (
        "Office for National Statistics",
        A,
        "UK Statistics Authority",
    ),
    "National Highways": ("National Highways", A, "Department for Transport"),
    "Network Rail": ("Network Rail", P, "Department for Transport"),
    "Mining Remediation Authority": (
        "Mining Remediation Authority",
        A,
        "Department for Energy Security and Net Zero",
    ),
    "The Gambling Commission": (
        "Gambling Commission",
        A,
        "Department for Culture, Media and Sport",
    ),
    "Salix Finance": ("Salix Finance", A, "Department for Energy Security and Net Zero"),
    "Wilton Park": ("Wilton Park", A, "Foreign, Commonwealth & Development Office"),
    "Cafcass": ("Cafcass", A, "Ministry of Justice"),
    "Hampshire and Thames Valley Police": ("Hampshire and Thames Valley Police", A, None),
    "West Midlands Police": ("West Midlands Police", A, None),
    "Welsh Government": ("Welsh Government", D, None),
    "Social Care Wales": ("Social Care Wales", A, "Welsh Government"),
    "Leeds City Council": ("Leeds City Council", L, None),
    "Newcastle City Council": ("Newcastle City Council", L, None),
    "London Borough of Sutton": ("London Borough of Sutton", L, None),
    "Barnet Council": ("London Borough of Barnet", L, None),
    "Dorset Council": ("Dorset Council", L, None),
    "Bristol City Council": ("Bristol City Council", L, None),
    "Camden Council": ("Camden Council", L, None),
    "Ealing Council": ("Ealing Council", L, None),
    "Warwickshire County Council": ("Warwickshire County Council", L, None),
    "West Berkshire Council": ("West Berkshire Council", L, None),
    "Greater London Authority": ("Greater London Authority", L, None),
    "Greater Cambridge Partnership": ("Greater Cambridge Partnership", L, None),
}


@dataclass(frozen=True, slots=True)
class AtrsRecord:
    body: str | None
    tool_name: str
    title: str
    url: str
    published: datetime
    description: str


@dataclass(frozen=True, slots=True)
class ImportReport:
    created: int
    updated: int
    unchanged: int


def read_index(path: Path) -> list[AtrsRecord]:
    """Parse and check the whole file first: any bad record stops the import before a write."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Invalid(f"{path}: cannot read the ATRS index ({exc})") from exc
    records = data.get("records") if isinstance(data, dict) else None
    if not isinstance(records, list):
        raise Invalid(f"{path}: expected an object with a 'records' list")
    parsed, errors = [], []
    for i, raw in enumerate(records):
        try:
            parsed.append(_record(raw))
        except (KeyError, TypeError, ValueError) as exc:
            errors.append(FieldError(f"records[{i}]", f"{type(exc).__name__}: {exc}"))
    if errors:
        raise Invalid(errors)
    return parsed


def _record(raw: dict[str, Any]) -> AtrsRecord:
    url, name = str(raw["url"]).strip(), str(raw["tool_name"]).strip()
    if not url.startswith("https://") or not name:
        raise ValueError("needs a tool_name and an https url")
    return AtrsRecord(
        body=(raw.get("publishing_body") or None),
        tool_name=name,
        title=str(raw["title"]).strip(),
        url=url,
        published=datetime.fromisoformat(str(raw["published"]).replace("Z", "+00:00")),
        description=str(raw["description"]).strip(),
    )


def organisation_for(session: Session, record: AtrsRecord) -> tuple[Organisation, str | None]:
    """The publishing organisation, and a note if it was not stated plainly in the record."""
    if record.body is None and " - " in record.title:
        prefix = record.title.split(" - ", 1)[0].strip()
        if prefix in BODIES:
            return _ensure(session, prefix), "Publishing body taken from the record's title"
    if record.body is None:
        return ensure_organisation(session, NOT_STATED, OrgKind.AGENCY), "Not stated"
    if record.body not in BODIES:
        raise Invalid(
            f"Unknown publishing body {record.body!r}: add it to atrs.BODIES", field=record.url
        )
    return _ensure(session, record.body), None


def _ensure(session: Session, body: str) -> Organisation:
    name, kind, parent_name = BODIES[body]
    parent = None
    if parent_name is not None:
        parent_kind = next(
            (k for n, k, _ in BODIES.values() if n == parent_name), OrgKind.MINISTERIAL
        )
        parent = ensure_organisation(session, parent_name, parent_kind)
    return ensure_organisation(session, name, kind, parent=parent)


def import_index(
    session: Session, path: Path, progress: Callable[[int, int], None] | None = None
) -> ImportReport:
    records = read_index(path)
    created = updated = unchanged = 0
    for i, record in enumerate(records, 1):
        outcome = _upsert(session, record)
        created += outcome == "created"
        updated += outcome == "updated"
        unchanged += outcome == "unchanged"
        if progress:
            progress(i, len(records))
    session.flush()
    return ImportReport(created, updated, unchanged)


def _upsert(session: Session, record: AtrsRecord) -> str:
    org, org_note = organisation_for(session, record)
    assumed: dict[str, str] = {"stage": STAGE_NOTE}
    if org_note:
        assumed["organisation"] = org_note
    values = {
        "title": record.tool_name[:200],
        "summary": record.description,
        "organisation_id": org.id,
        "source_url": record.url,
        "source_licence": LICENCE,
        "imported_fields": ["title", "summary", "organisation", "published"],
        "assumed_fields": assumed,
    }
    project = session.scalar(
        select(Project).where(Project.source == SOURCE, Project.source_id == record.url)
    )
    if project is None:
        project = Project(
            source=SOURCE,
            source_id=record.url,
            stage=Stage.LIVE,
            visibility=Visibility.PUBLISHED,
            **values,
        )
        project.stage_events.append(
            StageEvent(
                stage=Stage.LIVE,
                entered_at=record.published,
                note="Imported from the ATRS index (published date); stage assumed",
            )
        )
        session.add(project)
        return "created"
    changed = {k: v for k, v in values.items() if getattr(project, k) != v}
    for key, value in changed.items():
        setattr(project, key, value)
    return "updated" if changed else "unchanged"
