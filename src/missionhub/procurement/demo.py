"""Demo data for procurement: the real Contracts Finder files, HM Treasury's spend over £25,000,
and one example planned procurement (named as an example). Safe to run again."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionhub.accounts.models import Organisation
from missionhub.accounts.permissions import Actor, Visibility
from missionhub.procurement.ingest import ingest_ocds
from missionhub.procurement.models import OcdsIngest, PlannedProcurement
from missionhub.procurement.pipeline import create_planned
from missionhub.procurement.schemas import PlannedIn
from missionhub.procurement.spend import ingest_spend, rematch

OCDS_FILES = (
    "contracts_finder_2025_release_package.json",
    "contracts_finder_2017_2020_legacy_release_package.json",
)
SPEND_FILE = "hmt_spend_over_25k_2025Q1.csv"
EXAMPLE_TITLE = "Appointment reminder service for jobcentres (example)"


def load(session: Session, *, data_dir: Path) -> str:
    actor = Actor.system("demo load")
    folder = data_dir / "procurement"
    schema = folder / "ocds_release_schema_1.1.5.json"
    new = 0
    for name in OCDS_FILES:
        data = (folder / name).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if session.scalar(select(OcdsIngest.id).where(OcdsIngest.sha256 == digest)):
            continue
        with (folder / name).open("rb") as f:
            report = ingest_ocds(
                session, actor=actor, source=f, filename=name, schema_path=schema,
                sha256=digest, keep_valid=True,
            )  # fmt: skip
        new += report.new
    hmt = session.scalar(select(Organisation).where(Organisation.name == "HM Treasury"))
    if hmt is not None:
        ingest_spend(
            session, actor=actor, data=(folder / SPEND_FILE).read_bytes(), filename=SPEND_FILE,
            organisation_id=hmt.id,
        )  # fmt: skip
    rematch(session)
    _example_pipeline(session, actor)
    return (
        f"Procurement: {new} new OCDS releases; HM Treasury spend; an example planned procurement."
    )


def _example_pipeline(session: Session, actor: Actor) -> None:
    if session.scalar(
        select(PlannedProcurement.id).where(PlannedProcurement.title == EXAMPLE_TITLE)
    ):
        return
    dwp = session.scalar(
        select(Organisation).where(Organisation.name == "Department for Work and Pensions")
    )
    if dwp is None:
        return
    start = date.today() + timedelta(days=60)
    create_planned(
        session,
        actor=actor,
        data=PlannedIn(
            title=EXAMPLE_TITLE,
            description="Text and app reminders so fewer claimants miss appointments. An example "
            "planned procurement loaded with the demo data.",
            estimated_value=Decimal("450000"),
            publish_on=date.today(),
            tender_start=start,
            contract_start=start + timedelta(days=120),
            contract_end=start + timedelta(days=120 + 730),
            sme_suitable=True,
            visibility=Visibility.PUBLISHED,
            organisation_id=dwp.id,
        ),
    )
