"""SME share by department and year (figures from :mod:`sme_share`, rows behind each figure),
and the sidelined-SME audit of a contract or a programme of contracts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from missionhub.accounts.models import Organisation
from missionhub.accounts.permissions import Actor, require
from missionhub.errors import Invalid, NotFound
from missionhub.procurement import sme_share
from missionhub.procurement.models import (
    Award,
    AwardSupplier,
    NamedSource,
    NamedSubcontractor,
    OcdsIngest,
    OcdsRelease,
    Scale,
    SpendLine,
    Supplier,
    SupplyChainPayment,
    SupplyChainReturn,
)
from missionhub.procurement.suppliers import count_by_scale, normalise_name
from missionhub.procurement.supply_chain import may_manage_award, paid_to

DIRECT_COLUMNS = [
    "department", "financial_year", "basis", "supplier", "supplier_name", "amount", "is_sme",
    "ref", "link",
]  # fmt: skip
RETURN_COLUMNS = [
    "department", "financial_year", "prime", "prime_name", "revenue", "sme_paid", "source",
    "ref", "link",
]  # fmt: skip


def require_civil_servant(actor: Actor) -> None:
    require(actor.is_civil_servant or actor.is_admin, "Only civil servants can see this")


def _buyers(session: Session) -> Callable[[str | None], str]:
    """The department an award's spend belongs to: the buyer's organisation on Mission Hub when
    the buyer has one (by name or abbreviation), else the buyer as the data names it."""
    names: dict[str, str] = {}
    for org in session.scalars(select(Organisation)):
        names[normalise_name(org.name)] = org.name
        if org.abbreviation:
            names.setdefault(normalise_name(org.abbreviation), org.name)

    def department(buyer: str | None) -> str:
        if not buyer:
            return "Buyer not stated"
        return names.get(normalise_name(buyer), buyer)

    return department


def direct_frame(session: Session) -> pd.DataFrame:
    """Spend lines and award shares, each with its department, year and supplier's SME status."""
    orgs = {k: v for k, v in session.execute(select(Organisation.id, Organisation.name))}
    buyer_department = _buyers(session)
    rows: list[tuple[Any, ...]] = []
    spend = session.execute(
        select(
            SpendLine.id, SpendLine.upload_id, SpendLine.line, SpendLine.organisation_id,
            SpendLine.financial_year, SpendLine.supplier_id, SpendLine.supplier_name,
            SpendLine.amount, Supplier.scale,
        ).outerjoin(Supplier, Supplier.id == SpendLine.supplier_id)
    )  # fmt: skip
    keys: dict[str, int] = {}
    for _id, upload, line, org, fy, sup, name, amount, scale in spend:
        key = keys.setdefault(f"s{sup}" if sup else f"n:{name}", len(keys))
        rows.append(
            (orgs.get(org), fy, "spend", key, name, float(amount),
             scale is Scale.SME, f"spend file {upload}, line {line}",
             f"/procurement/spend/{upload}#line-{line}")
        )  # fmt: skip
    awards = session.execute(
        select(
            Award.id, Award.ocid, Award.organisation_id, Award.buyer_name, Award.financial_year,
            Award.value, Award.is_agreement, AwardSupplier.share, AwardSupplier.supplier_id,
            Supplier.name, Supplier.scale,
        )
        .join(AwardSupplier, AwardSupplier.award_id == Award.id)
        .join(Supplier, Supplier.id == AwardSupplier.supplier_id)
        .where(Award.financial_year.is_not(None), AwardSupplier.removed_by_amendment.is_(False))
    )  # fmt: skip
    for aid, _o, _org, buyer, a_fy, value, agreement, share, a_sup, a_name, a_scale in awards:
        counted = 0.0 if agreement or value is None else float(value * share)
        department = buyer_department(buyer)
        rows.append(
            (department, a_fy, "award", keys.setdefault(f"s{a_sup}", len(keys)), a_name, counted,
             a_scale is Scale.SME,
             f"award {aid}", f"/procurement/awards/{aid}")
        )  # fmt: skip
    return pd.DataFrame(rows, columns=DIRECT_COLUMNS).astype(
        {"amount": "float64", "is_sme": "bool", "supplier": "int64"}
    )


def returns_frame(session: Session) -> pd.DataFrame:
    buyer_department = _buyers(session)
    sme_paid: dict[int, float] = {}
    for ret_id, amount, scale in session.execute(
        select(SupplyChainPayment.return_id, SupplyChainPayment.amount, Supplier.scale).join(
            Supplier, Supplier.id == SupplyChainPayment.subcontractor_id
        )
    ):
        if scale is Scale.SME:
            sme_paid[ret_id] = sme_paid.get(ret_id, 0.0) + float(amount)
    rows = []
    for ret, _org, buyer, prime_name in session.execute(
        select(SupplyChainReturn, Award.organisation_id, Award.buyer_name, Supplier.name)
        .join(Award, Award.id == SupplyChainReturn.award_id)
        .join(Supplier, Supplier.id == SupplyChainReturn.prime_supplier_id)
    ):
        rows.append(
            (buyer_department(buyer), ret.financial_year,
             f"s{ret.prime_supplier_id}", prime_name, float(ret.revenue),
             sme_paid.get(ret.id, 0.0), ret.source.value, f"return {ret.id}",
             f"/procurement/awards/{ret.award_id}#return-{ret.id}")
        )  # fmt: skip
    return pd.DataFrame(rows, columns=RETURN_COLUMNS).astype(
        {"revenue": "float64", "sme_paid": "float64"}
    )


@dataclass
class ShareReport:
    rows: list[dict[str, Any]]
    totals: dict[str, Any]
    years: list[str]


def sme_share_report(
    session: Session, *, actor: Actor, financial_year: str | None = None
) -> ShareReport:
    require_civil_servant(actor)
    rows = sme_share.share_table(direct_frame(session), returns_frame(session))
    years = sorted({r["financial_year"] for r in rows if r["financial_year"]})
    if financial_year:
        rows = [r for r in rows if r["financial_year"] == financial_year]
    return ShareReport(rows, sme_share.totals(rows), years)


def rows_behind(
    session: Session, *, actor: Actor, department: str, financial_year: str, column: str
) -> list[dict[str, Any]]:
    """The rows one figure is computed from (the spend lines, award shares or returns)."""
    require_civil_servant(actor)
    if column not in sme_share.COLUMNS:
        raise Invalid(f"No column {column!r}", field="column")
    if column in "BCDO":
        frame = direct_frame(session)
        frame = frame[(frame.department == department) & (frame.financial_year == financial_year)]
        if (frame.basis == "spend").any():
            frame = frame[frame.basis == "spend"]
        if column == "C":
            frame = frame[frame.is_sme]
        if column == "O":
            frame = frame[~frame.is_sme & (frame.amount > 0)]
    else:
        frame = returns_frame(session)
        frame = frame[(frame.department == department) & (frame.financial_year == financial_year)]
        if column in "EFGPQ":
            frame = frame[frame.source == "supplier"]
        if column == "H":
            frame = frame[frame.source == "department"]
    return list(frame.to_dict("records"))


# Sidelined SMEs ---------------------------------------------------------------------------------


@dataclass
class AuditLine:
    award: Award
    supplier: Supplier
    how: str
    named_on: date | None
    planned: Decimal | None
    paid: Decimal
    flag: str | None

    @property
    def share_paid(self) -> float | None:
        return float(self.paid / self.planned) if self.planned else None


@dataclass
class AuditReport:
    awards: list[Award]
    lines: list[AuditLine]
    min_share: Decimal
    after_days: int
    as_of: date

    @property
    def flagged(self) -> list[AuditLine]:
        return [line for line in self.lines if line.flag]


def audit(
    session: Session,
    *,
    actor: Actor,
    award_ids: list[int],
    min_share: Decimal = Decimal("0.5"),
    after_days: int = 180,
    as_of: date | None = None,
) -> AuditReport:
    """For each contract: every SME named at award (in the award, declared by the prime, or a
    supplier removed by amendment), what was reported paid to it, and a flag where it received
    nothing, or less than ``min_share`` of the planned amount, ``after_days`` after being named."""
    if not award_ids:
        raise Invalid("Choose at least one contract", field="award")
    if not min_share.is_finite() or not Decimal(0) <= min_share <= Decimal(1):
        raise Invalid("The share must be a number between 0 and 1", field="min_share")
    if not 0 <= after_days <= 36_500:
        raise Invalid("The number of days must be between 0 and 36500", field="after_days")
    as_of = as_of or date.today()
    awards = list(session.scalars(select(Award).where(Award.id.in_(award_ids)).order_by(Award.id)))
    if len(awards) != len(set(award_ids)):
        raise Invalid("One of the contracts does not exist", field="award")
    for award in awards:
        require(may_manage_award(actor, award), "Only the buying department can audit this")
    lines = [
        line
        for award in awards
        for line in _award_lines(session, award, min_share, after_days, as_of)
    ]
    return AuditReport(awards, lines, min_share, after_days, as_of)


def _award_lines(
    session: Session, award: Award, min_share: Decimal, after_days: int, as_of: date
) -> list[AuditLine]:
    paid = paid_to(session, award.id)
    lines = []
    for named in session.scalars(
        select(NamedSubcontractor).where(NamedSubcontractor.award_id == award.id)
    ):
        how = "named in the award" if named.source is NamedSource.AWARD else "declared by prime"
        if named.removed_on:
            how += f", removed {named.removed_on.isoformat()}"
        got = paid.get(named.subcontractor_id, Decimal(0))
        lines.append(
            AuditLine(award, named.subcontractor, how, named.named_on, named.planned_amount, got,
                      _flag(named.subcontractor, named.named_on, named.planned_amount, got,
                            min_share, after_days, as_of, bool(named.removed_on)))
        )  # fmt: skip
    for link in award.suppliers:
        if link.removed_by_amendment:
            planned = award.value * link.share if award.value and link.share else None
            lines.append(
                AuditLine(award, link.supplier, "supplier removed by amendment", award.award_date,
                          planned, Decimal(0),
                          None if link.supplier.scale is Scale.LARGE else "removed by amendment")
            )  # fmt: skip
    return lines


def _flag(
    supplier: Supplier,
    named_on: date | None,
    planned: Decimal | None,
    got: Decimal,
    min_share: Decimal,
    after_days: int,
    as_of: date,
    removed: bool,
) -> str | None:
    if supplier.scale is Scale.LARGE:
        return None
    if removed:
        return "removed after award"
    if named_on is None or as_of < named_on + timedelta(days=after_days):
        return None
    if got <= 0:
        return "nothing paid"
    if planned and got < planned * min_share:
        return f"paid less than {min_share:.0%} of the planned amount"
    return None


def audit_rows(report: AuditReport) -> list[dict[str, Any]]:
    return [
        {
            "award_id": line.award.id,
            "ocid": line.award.ocid,
            "contract": line.award.title or "",
            "supplier": line.supplier.name,
            "scale": line.supplier.scale.value,
            "how_named": line.how,
            "named_on": line.named_on.isoformat() if line.named_on else "",
            "planned": str(line.planned) if line.planned is not None else "",
            "paid": str(line.paid),
            "share_paid": f"{line.share_paid:.4f}" if line.share_paid is not None else "",
            "flag": line.flag or "",
        }
        for line in report.lines
    ]


def awards_of(
    session: Session,
    *,
    actor: Actor,
    organisation_id: int | None = None,
    text: str | None = None,
    limit: int = 200,
) -> list[Award]:
    """Contracts the actor may audit (their department's), newest first."""
    stmt = select(Award).order_by(Award.award_date.desc().nulls_last(), Award.id.desc())
    if not actor.is_admin:
        stmt = stmt.where(Award.organisation_id == actor.organisation_id)
    elif organisation_id:
        stmt = stmt.where(Award.organisation_id == organisation_id)
    if text:
        stmt = stmt.where(Award.title.ilike(f"%{text}%"))
    return list(session.scalars(stmt.limit(limit)))


@dataclass
class Overview:
    ingests: list[OcdsIngest]
    counts: dict[str, Any]


def overview(session: Session, *, actor: Actor) -> Overview:
    """The procurement home page: the latest OCDS loads and how much is held."""
    require_civil_servant(actor)
    ingests = list(session.scalars(select(OcdsIngest).order_by(OcdsIngest.id.desc()).limit(10)))
    counts: dict[str, Any] = {
        name: session.scalar(select(func.count()).select_from(table)) or 0
        for name, table in (
            ("awards", Award),
            ("spend_lines", SpendLine),
            ("returns", SupplyChainReturn),
        )
    }
    counts["suppliers"] = count_by_scale(session)
    return Overview(ingests, counts)


def ingest_report(
    session: Session, *, actor: Actor, ingest_id: int, limit: int = 50
) -> tuple[OcdsIngest, list[Award]]:
    """One OCDS load and (the first ``limit`` of) the awards of the processes it touched."""
    require_civil_servant(actor)
    record = session.get(OcdsIngest, ingest_id)
    if record is None:
        raise NotFound(f"No OCDS load {ingest_id}")
    touched = select(OcdsRelease.ocid).where(OcdsRelease.ingest_id == ingest_id)
    awards = list(session.scalars(select(Award).where(Award.ocid.in_(touched)).limit(limit)))
    return record, awards
