"""Spend over £25,000 files: standard columns, repeated transaction numbers, credits, errors."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from missionhub.errors import Invalid, PermissionDenied
from missionhub.procurement.models import SpendLine
from missionhub.procurement.spend import ingest_spend, parse_amount, read_spend
from tests.conftest import require_data
from tests.factories import World
from tests.procurement.factories import Procurement, award_release, package_bytes, sme

HEADER = (
    "Department Family,Entity,Date,Expense Type,Expense Area,Supplier,Transaction Number,"
    "Amount,Description\n"
)


def test_the_real_hm_treasury_file_loads_in_full(buying: Procurement, world: World, session):
    path = require_data("procurement", "hmt_spend_over_25k_2025Q1.csv")
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    hmt = world.department("HM Treasury")
    upload = ingest_spend(session, actor=buying.actor(buying.officer(hmt)),
                          data=path.read_bytes(), filename=path.name)  # fmt: skip
    assert upload.rows == len(rows) == 272
    assert upload.total == sum(Decimal(r["Amount"]) for r in rows)
    numbers = session.scalars(
        select(SpendLine.transaction_number).where(SpendLine.upload_id == upload.id)
    ).all()
    assert numbers.count("336958") == 3  # several lines share a transaction number
    assert numbers.count(None) == sum(r["Transaction Number"] == "None" for r in rows)
    assert len(upload.unmatched) == len({r["Supplier"] for r in rows})  # register empty
    again = ingest_spend(session, actor=buying.actor(buying.officer(hmt)),
                         data=path.read_bytes(), filename=path.name)  # fmt: skip
    assert again.id == upload.id
    count = session.scalar(select(func.count()).select_from(SpendLine))
    assert count == 272


def test_credits_are_negative_and_suppliers_match_the_register(buying, world, session) -> None:
    release = award_release(ocid="ocds-x-sp-1", rid="r1", date="2025-01-10T00:00:00Z",
                            suppliers=[sme("S1", "Little Fish (UK) Ltd")])  # fmt: skip
    buying.ingest(package_bytes([release]))
    data = (
        HEADER + 'HM Treasury,HMT,2025-01-09,IT,Digital,LITTLE FISH (UK) LIMITED,9,"£30,000.00",x\n'
        "HM Treasury,HMT,09/01/2025,IT,Digital,Little Fish (UK) Ltd,9,(5000.00),credit\n"
        "HM Treasury,HMT,2025-01-10,IT,Digital,Nobody Known Ltd,10,-26000,refund\n"
    ).encode()
    upload = ingest_spend(
        session, actor=buying.actor(buying.officer()), data=data, filename="s.csv"
    )
    lines = session.scalars(select(SpendLine).where(SpendLine.upload_id == upload.id)
                            .order_by(SpendLine.line)).all()  # fmt: skip
    assert [line.amount for line in lines] == [Decimal("30000.00"), Decimal("-5000.00"),
                                               Decimal("-26000")]  # fmt: skip
    assert lines[0].supplier_id == lines[1].supplier_id is not None
    assert lines[2].supplier_id is None
    assert upload.unmatched == [{"supplier": "Nobody Known Ltd", "lines": 1, "total": "-26000"}]
    assert lines[0].financial_year == "2024-25"


def test_every_bad_row_is_named_and_nothing_is_written(buying, session) -> None:
    data = (
        HEADER + "HM Treasury,HMT,2025-13-01,IT,Digital,A Ltd,1,100,x\n"
        "HM Treasury,HMT,2025-01-01,IT,Digital,,2,100,x\n"
        "HM Treasury,HMT,2025-01-01,IT,Digital,B Ltd,3,12..5,x\n"
        "HM Treasury,HMT,2025-01-01,IT,Digital,B Ltd,4,NaN,x\n"
    ).encode()
    with pytest.raises(Invalid) as caught:
        ingest_spend(session, actor=buying.actor(buying.officer()), data=data, filename="s.csv")
    assert [e.field for e in caught.value.errors] == [
        "row 2, column Date", "row 3, column Supplier", "row 4, column Amount",
        "row 5, column Amount",
    ]  # fmt: skip
    assert session.scalar(select(func.count()).select_from(SpendLine)) == 0
    with pytest.raises(Invalid, match="Transaction Number, Amount column"):
        read_spend(b"Supplier,Date\nA,2025-01-01\n")
    with pytest.raises(Invalid, match="not valid"):
        read_spend((HEADER + "HMT,HMT,2025-01-01,IT,D,Caf\xe9,1,100,\xa3\n").encode("latin-1"))
    assert (
        read_spend(
            (HEADER + "HMT,HMT,2025-01-01,IT,D,Caf\xe9,1,100,\xa3\n").encode("latin-1"),
            encoding="iso-8859-1",
        )[0].supplier_name
        == "Caf\xe9"
    )


def test_amounts() -> None:
    assert parse_amount("£1,234.50") == Decimal("1234.50")
    assert parse_amount("(10)") == Decimal("-10")
    for bad in ("", "1e5", "Infinity", "12.345", "ten"):
        with pytest.raises(ValueError):
            parse_amount(bad)


def test_only_commercial_officers_load_spend_for_their_own_department(buying, world, session):
    data = (HEADER + "HMT,HMT,2025-01-01,IT,D,A Ltd,1,100,x\n").encode()
    with pytest.raises(PermissionDenied):
        ingest_spend(session, actor=world.actor(world.member(world.department())), data=data,
                     filename="s.csv")  # fmt: skip
    other = world.department("Ministry of Justice")
    with pytest.raises(PermissionDenied):
        ingest_spend(session, actor=buying.actor(buying.officer()), data=data, filename="s.csv",
                     organisation_id=other.id)  # fmt: skip
    _ = io
