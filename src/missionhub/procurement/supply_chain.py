"""Supply-chain returns (PPN 01/18): a prime supplier's payments to subcontractors on one
contract in one period, by form or CSV; and subcontractors declared at award."""

from __future__ import annotations

import csv
import io
from collections import OrderedDict
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from missionhub.accounts.models import Role
from missionhub.accounts.permissions import Actor, require
from missionhub.errors import Conflict, FieldError, Invalid, NotFound, row_error
from missionhub.procurement.awards import financial_year
from missionhub.procurement.models import (
    Award,
    NamedSource,
    NamedSubcontractor,
    ReturnSource,
    Supplier,
    SupplyChainPayment,
    SupplyChainReturn,
)
from missionhub.procurement.schemas import DeclareIn, PaymentIn, ReturnIn
from missionhub.procurement.suppliers import Register, company_number

TEMPLATE_COLUMNS = [
    "award_id",
    "prime_supplier_id",
    "period_start",
    "period_end",
    "revenue",
    "source",
    "subcontractor",
    "company_number",
    "amount",
]


def may_manage_award(actor: Actor, award: Award) -> bool:
    """Commercial officers of the department holding the contract, and administrators."""
    return actor.is_admin or (
        actor.role is Role.COMMERCIAL and actor.belongs_to(award.organisation_id)
    )


def _is_prime_user(actor: Actor, award: Award, supplier: Supplier) -> bool:
    return (
        actor.role is Role.SUPPLIER
        and supplier.organisation_id is not None
        and actor.belongs_to(supplier.organisation_id)
        and any(
            s.supplier_id == supplier.id and not s.removed_by_amendment for s in award.suppliers
        )
    )


def get_award(session: Session, *, actor: Actor, award_id: int) -> Award:
    """An award, to civil servants, administrators and the award's own suppliers."""
    award = session.get(Award, award_id)
    if award is None:
        raise NotFound(f"No award with id {award_id}")
    if actor.is_admin or actor.is_civil_servant:
        return award
    mine = any(
        s.supplier.organisation_id and actor.belongs_to(s.supplier.organisation_id)
        for s in award.suppliers
    )
    if not mine:
        raise NotFound(f"No award with id {award_id}")
    return award


def submit_return(session: Session, *, actor: Actor, data: ReturnIn) -> SupplyChainReturn:
    award = get_award(session, actor=actor, award_id=data.award_id)
    prime = session.get(Supplier, data.prime_supplier_id)
    if prime is None or not any(
        s.supplier_id == prime.id and not s.removed_by_amendment for s in award.suppliers
    ):
        raise Invalid("Choose a supplier named on this contract", field="prime_supplier_id")
    officer = may_manage_award(actor, award)
    require(
        officer or _is_prime_user(actor, award, prime),
        "Only the prime supplier or the buying department's commercial team can submit this",
    )
    if data.source is ReturnSource.DEPARTMENT:
        require(officer, "Only the department can record spend it collected itself")
    clash = session.scalar(
        select(SupplyChainReturn.id).where(
            SupplyChainReturn.award_id == award.id,
            SupplyChainReturn.prime_supplier_id == prime.id,
            SupplyChainReturn.period_start == data.period_start,
            SupplyChainReturn.source == data.source,
        )
    )
    if clash:
        raise Conflict("A return for this contract, supplier and period is already recorded")
    register = Register.load(session)
    ret = SupplyChainReturn(
        award_id=award.id,
        prime_supplier_id=prime.id,
        period_start=data.period_start,
        period_end=data.period_end,
        financial_year=financial_year(data.period_end),
        revenue=data.revenue,
        source=data.source,
        submitted_by_id=actor.user_id,
    )
    for payment in data.payments:
        ret.payments.append(_payment(register, payment))
    session.add(ret)
    session.flush()
    return ret


def _payment(register: Register, payment: PaymentIn) -> SupplyChainPayment:
    number = company_number(payment.company_number)
    sub = register.resolve(payment.subcontractor, f"GB-COH-{number}" if number else None)
    return SupplyChainPayment(subcontractor_id=sub.id, amount=payment.amount)


def declare_subcontractor(
    session: Session, *, actor: Actor, award_id: int, data: DeclareIn
) -> NamedSubcontractor:
    """A subcontractor the prime named at award (e.g. in its bid), with the planned amount."""
    award = get_award(session, actor=actor, award_id=award_id)
    require(
        may_manage_award(actor, award)
        or any(_is_prime_user(actor, award, s.supplier) for s in award.suppliers),
        "Only the prime supplier or the buying department's commercial team can do this",
    )
    number = company_number(data.company_number)
    sub = Register.load(session).resolve(data.subcontractor, f"GB-COH-{number}" if number else None)
    if session.scalar(
        select(NamedSubcontractor.id).where(
            NamedSubcontractor.award_id == award.id, NamedSubcontractor.subcontractor_id == sub.id
        )
    ):
        raise Conflict(f"{sub.name} is already named on this contract")
    named = NamedSubcontractor(
        award_id=award.id,
        subcontractor_id=sub.id,
        planned_amount=data.planned_amount,
        named_on=data.named_on,
        source=NamedSource.DECLARED,
        created_by_id=actor.user_id,
    )
    session.add(named)
    session.flush()
    return named


def remove_named(
    session: Session, *, actor: Actor, named_id: int, removed_on: date
) -> NamedSubcontractor:
    named = session.get(NamedSubcontractor, named_id)
    if named is None:
        raise NotFound(f"No named subcontractor {named_id}")
    award = get_award(session, actor=actor, award_id=named.award_id)
    require(may_manage_award(actor, award), "Only the buying department can record this")
    named.removed_on = removed_on
    session.flush()
    return named


def read_returns_csv(data: bytes) -> list[ReturnIn]:
    """Returns from the CSV template: one line per payment, the return's columns repeated."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid("The file is not UTF-8 text", field="file") from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in TEMPLATE_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise Invalid(f"The file has no {', '.join(missing)} column", field="file")
    grouped: OrderedDict[tuple[str, ...], dict[str, Any]] = OrderedDict()
    errors: list[FieldError] = []
    for line, row in enumerate(reader, start=2):
        key = tuple(row[c].strip() for c in TEMPLATE_COLUMNS[:6])
        entry = grouped.setdefault(
            key, {**dict(zip(TEMPLATE_COLUMNS[:6], key, strict=True)), "payments": [], "line": line}
        )
        if (row.get("subcontractor") or "").strip():
            try:
                entry["payments"].append(
                    PaymentIn(
                        subcontractor=row["subcontractor"],
                        company_number=row.get("company_number"),
                        amount=row["amount"],
                    )
                )
            except ValidationError as exc:
                errors.extend(_row_errors(line, exc))
    returns = []
    for entry in grouped.values():
        line = entry.pop("line")
        try:
            returns.append(
                ReturnIn.model_validate({**entry, "source": entry["source"] or "supplier"})
            )
        except ValidationError as exc:
            errors.extend(_row_errors(line, exc))
    if errors:
        raise Invalid(errors)
    if not returns:
        raise Invalid("The file has no returns", field="file")
    return returns


def _row_errors(line: int, exc: ValidationError) -> list[FieldError]:
    return [
        row_error(line, str(e["msg"]).removeprefix("Value error, "), column=str(e["loc"][0]))
        for e in exc.errors()
    ]


def import_returns(session: Session, *, actor: Actor, data: bytes) -> list[SupplyChainReturn]:
    """Every return in the file, or none of them (the caller's transaction is rolled back)."""
    returns = read_returns_csv(data)
    saved = []
    for i, item in enumerate(returns, start=1):
        try:
            saved.append(submit_return(session, actor=actor, data=item))
        except (Invalid, Conflict, NotFound) as exc:
            raise Invalid([FieldError(f"return {i} (award {item.award_id})", str(exc))]) from exc
    return saved


def template_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(TEMPLATE_COLUMNS)
    writer.writerow(
        [
            "123",
            "45",
            "2025-04-01",
            "2025-06-30",
            "250000.00",
            "supplier",
            "Example Subcontractor Ltd",
            "01234567",
            "40000.00",
        ]
    )
    return out.getvalue()


def paid_to(session: Session, award_id: int) -> dict[int, Decimal]:
    """What has been reported paid on a contract, per subcontractor."""
    rows = session.execute(
        select(SupplyChainPayment.subcontractor_id, SupplyChainPayment.amount)
        .join(SupplyChainReturn)
        .where(SupplyChainReturn.award_id == award_id)
    )
    paid: dict[int, Decimal] = {}
    for sub_id, amount in rows:
        paid[sub_id] = paid.get(sub_id, Decimal(0)) + amount
    return paid
