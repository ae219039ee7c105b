"""Supply-chain returns, the sidelined-SME audit and the buying pipeline."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import jsonschema
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from missionhub.accounts.models import OrgKind, Role
from missionhub.accounts.permissions import Actor, Visibility
from missionhub.accounts.seed import ensure_organisation
from missionhub.errors import Conflict, Invalid, NotFound, PermissionDenied
from missionhub.procurement import pipeline, reports, supply_chain
from missionhub.procurement.models import Award, ReturnSource
from missionhub.procurement.schemas import DeclareIn, PaymentIn, PlannedIn, ReturnIn
from tests.procurement.factories import (
    Procurement,
    award_release,
    package_bytes,
    real_package,
    schema_path,
    sme,
)


def contract(buying: Procurement, session, ocid: str = "ocds-x-sc-1") -> Award:
    release = award_release(
        ocid=ocid, rid="r1", date="2025-01-10T00:00:00Z", value=1_000_000,
        suppliers=[sme("GB-COH-00000001", "Big Prime plc", "large")],
        extra_parties=[{"id": "SUB1", "name": "Named Small Ltd", "roles": ["subcontractor"],
                        "details": {"scale": "sme"}}],
    )  # fmt: skip
    buying.ingest(package_bytes([release]))
    return session.scalar(select(Award).where(Award.ocid == ocid))


def test_a_return_records_payments_and_an_audit_flags_the_sidelined_sme(buying, world, session):
    dwp = world.department("Department for Work and Pensions")
    award = contract(buying, session)
    officer = buying.actor(buying.officer(dwp))
    prime = award.suppliers[0].supplier
    supply_chain.declare_subcontractor(
        session, actor=officer, award_id=award.id,
        data=DeclareIn(subcontractor="Promised Partner Ltd", company_number="7654321",
                       planned_amount=Decimal("200000"), named_on=date(2025, 1, 10)),
    )  # fmt: skip
    supply_chain.declare_subcontractor(
        session, actor=officer, award_id=award.id,
        data=DeclareIn(subcontractor="Paid Partner Ltd", planned_amount=Decimal("100000"),
                       named_on=date(2025, 1, 10)),
    )  # fmt: skip
    ret = supply_chain.submit_return(
        session, actor=officer,
        data=ReturnIn(award_id=award.id, prime_supplier_id=prime.id,
                      period_start=date(2025, 4, 1), period_end=date(2025, 9, 30),
                      revenue=Decimal("500000"),
                      payments=[
                          PaymentIn(subcontractor="Promised Partner Ltd", amount=Decimal("20000")),
                          PaymentIn(subcontractor="Paid Partner Ltd", amount=Decimal("90000")),
                      ]),
    )  # fmt: skip
    assert ret.financial_year == "2025-26"
    with pytest.raises(Conflict):
        supply_chain.submit_return(
            session, actor=officer,
            data=ReturnIn(award_id=award.id, prime_supplier_id=prime.id,
                          period_start=date(2025, 4, 1), period_end=date(2025, 9, 30),
                          revenue=Decimal("1")),
        )  # fmt: skip
    report = reports.audit(session, actor=officer, award_ids=[award.id],
                           min_share=Decimal("0.5"), after_days=180,
                           as_of=date(2025, 12, 1))  # fmt: skip
    flags = {line.supplier.name: line.flag for line in report.lines}
    assert flags == {
        "Named Small Ltd": "nothing paid",  # named in the award's parties, never paid
        "Promised Partner Ltd": "paid less than 50% of the planned amount",
        "Paid Partner Ltd": None,
    }
    early = reports.audit(session, actor=officer, award_ids=[award.id], after_days=400,
                          as_of=date(2025, 12, 1))  # fmt: skip
    assert early.flagged == []
    rows = reports.audit_rows(report)
    assert {r["supplier"]: r["paid"] for r in rows}["Promised Partner Ltd"] == "20000.00"


def test_returns_are_scoped_to_the_department_and_the_prime(buying, world, session) -> None:
    dwp = world.department("Department for Work and Pensions")
    award = contract(buying, session, "ocds-x-sc-2")
    prime = award.suppliers[0].supplier
    data = ReturnIn(award_id=award.id, prime_supplier_id=prime.id, period_start=date(2025, 4, 1),
                    period_end=date(2025, 6, 30), revenue=Decimal("1000"))  # fmt: skip
    moj_officer = buying.actor(buying.officer(world.department("Ministry of Justice")))
    with pytest.raises(PermissionDenied):
        supply_chain.submit_return(session, actor=moj_officer, data=data)
    with pytest.raises(PermissionDenied):
        reports.audit(session, actor=moj_officer, award_ids=[award.id])
    supplier_org = ensure_organisation(session, "Big Prime plc", OrgKind.SUPPLIER)
    prime.organisation_id = supplier_org.id
    prime_user = world.actor(world.user(Role.SUPPLIER, supplier_org))
    with pytest.raises(PermissionDenied):
        supply_chain.submit_return(
            session,
            actor=prime_user,
            data=data.model_copy(update={"source": ReturnSource.DEPARTMENT}),
        )
    assert supply_chain.submit_return(session, actor=prime_user, data=data).id
    stranger = world.actor(world.user(Role.SUPPLIER, world.supplier_org("Other Ltd")))
    with pytest.raises(NotFound):
        supply_chain.get_award(session, actor=stranger, award_id=award.id)
    with pytest.raises(ValidationError):
        ReturnIn(award_id=1, prime_supplier_id=1, period_start=date(2025, 6, 1),
                 period_end=date(2025, 4, 1), revenue=Decimal("1"))  # fmt: skip
    assert dwp


def test_returns_csv_loads_whole_or_names_the_bad_rows(buying, world, session) -> None:
    dwp = world.department("Department for Work and Pensions")
    award = contract(buying, session, "ocds-x-sc-3")
    prime = award.suppliers[0].supplier
    officer = buying.actor(buying.officer(dwp))
    head = ",".join(supply_chain.TEMPLATE_COLUMNS) + "\n"
    row = f"{award.id},{prime.id},2025-04-01,2025-06-30,1000,supplier"
    good = (head + f"{row},Sub A Ltd,,100\n{row},Sub B Ltd,01234567,200\n").encode()
    [saved] = supply_chain.import_returns(session, actor=officer, data=good)
    assert sorted(p.amount for p in saved.payments) == [100, 200]
    bad = (
        head + f"{award.id},{prime.id},2025-07-01,2025-09-30,1000,supplier,Sub A Ltd,,-5\n"
        f"{award.id},{prime.id},2025-07-01,2025-05-30,1000,supplier,Sub A Ltd,,5\n"
    ).encode()
    with pytest.raises(Invalid) as caught:
        supply_chain.import_returns(session, actor=officer, data=bad)
    assert [e.field for e in caught.value.errors] == [
        "row 2, column amount",
        "row 3, column period_end",
    ]
    assert "award_id" in supply_chain.template_csv()


def test_the_pipeline_exports_valid_ocds_planning_releases_with_the_uk_notice_type(
    buying, world, session
) -> None:
    dwp = world.department("Department for Work and Pensions")
    missions = world.missions()
    officer = buying.actor(buying.officer(dwp))
    data = PlannedIn(title="Jobcentre reminders", description="Text reminders.",
                     estimated_value=Decimal("450000"), publish_on=date(2026, 1, 5),
                     tender_start=date(2026, 3, 1), contract_start=date(2026, 6, 1),
                     contract_end=date(2028, 5, 31), sme_suitable=True,
                     mission_id=next(iter(missions.values())).id)  # fmt: skip
    planned = pipeline.create_planned(session, actor=officer, data=data)
    hidden = pipeline.create_planned(
        session, actor=officer, data=data.model_copy(update={"visibility": Visibility.DRAFT})
    )
    with pytest.raises(PermissionDenied):
        pipeline.create_planned(session, actor=world.actor(world.member(dwp)), data=data)
    with pytest.raises(ValidationError):
        PlannedIn(**{**data.model_dump(), "contract_end": date(2026, 1, 1)})
    public = pipeline.list_planned(session, actor=Actor.public())
    assert planned in public
    assert hidden not in public
    package = pipeline.planning_package(session, public, base_url="https://hub.example")
    [release] = [r for r in package["releases"] if r["ocid"] == planned.ocid]
    schema = jsonschema.Draft4Validator(
        __import__("json").loads(schema_path().read_text()), format_checker=None
    )
    assert list(schema.iter_errors(release)) == []
    assert release["tag"] == ["planning"]
    assert release["planning"]["documents"][0]["noticeType"] == "UK3"
    assert release["tender"]["suitability"] == {"sme": True}
    assert release["planning"]["budget"]["amount"] == {"amount": 450000.0, "currency": "GBP"}
    from missionhub.procurement.ocds import ReleaseChecker

    checked = ReleaseChecker(schema_path()).check(release)
    assert checked.errors == checked.warnings == []
    assert real_package()  # the real data is there too
