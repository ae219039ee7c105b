"""Departmental "spend over £25,000" files: the standard transparency columns, several lines per
transaction number allowed, credits negative. Suppliers are matched to the register by
normalised name; the ones that match nothing are reported. A file goes in whole or not at all."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from missionhub.accounts.models import Organisation
from missionhub.accounts.permissions import Actor, require
from missionhub.errors import FieldError, Invalid, NotFound, row_error
from missionhub.procurement.awards import financial_year
from missionhub.procurement.ingest import require_commercial
from missionhub.procurement.models import SpendLine, SpendUpload, table
from missionhub.procurement.suppliers import Register

REQUIRED = {
    "department family": "Department Family",
    "entity": "Entity",
    "date": "Date",
    "expense type": "Expense Type",
    "expense area": "Expense Area",
    "supplier": "Supplier",
    "transaction number": "Transaction Number",
    "amount": "Amount",
}
OPTIONAL = {"description": "Description"}
_NO_NUMBER = {"", "none", "n/a", "na", "null", "-"}
_AMOUNT = re.compile(r"^-?\d+(\.\d{1,2})?$")
MAX_AMOUNT = Decimal("100000000000000")


@dataclass(frozen=True, slots=True)
class SpendRow:
    line: int
    entity: str | None
    paid_on: date
    expense_type: str | None
    expense_area: str | None
    supplier_name: str
    transaction_number: str | None
    amount: Decimal
    description: str | None


def parse_amount(text: str) -> Decimal:
    """ "£1,234.50" -> 1234.50; "(1,234.50)" and "-1,234.50" are credits (negative)."""
    value = text.strip().replace("£", "").replace(",", "").replace(" ", "")
    negative = value.startswith("(") and value.endswith(")")
    value = value.strip("()")
    if not _AMOUNT.match(value):
        raise ValueError(f"{text!r} is not an amount in pounds (e.g. 1234.56 or -1234.56)")
    amount = Decimal(value)
    if abs(amount) >= MAX_AMOUNT:
        raise ValueError(f"{text!r} is too large")
    return -amount if negative else amount


def parse_day(text: str) -> date:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d/%m/%y", "%d-%b-%Y", "%d-%b-%y", "%d %b %Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (use 2025-01-31 or 31/01/2025)")


def read_spend(data: bytes, *, encoding: str = "utf-8-sig") -> list[SpendRow]:
    """Every line of a spend file, or :class:`Invalid` naming each bad row and column."""
    try:
        text = codecs.decode(data, encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise Invalid(
            f"The file is not valid {encoding} text ({exc}); say which encoding it uses",
            field="file",
        ) from exc
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = next(reader, None)
    if not header:
        raise Invalid("The file is empty", field="file")
    columns = {h.strip().casefold(): i for i, h in enumerate(header)}
    missing = [label for key, label in REQUIRED.items() if key not in columns]
    if missing:
        raise Invalid(f"The file has no {', '.join(missing)} column", field="file")
    rows, errors = [], []
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        try:
            rows.append(_row(line, values, columns))
        except _RowError as exc:
            errors.append(row_error(line, exc.message, column=exc.column))
    if errors:
        raise Invalid(errors)
    if not rows:
        raise Invalid("The file has a header but no spend lines", field="file")
    return rows


class _RowError(Exception):
    def __init__(self, column: str, message: str) -> None:
        self.column, self.message = column, message


def _row(line: int, values: list[str], columns: dict[str, int]) -> SpendRow:
    def get(key: str) -> str:
        i = columns.get(key)
        return values[i].strip() if i is not None and i < len(values) else ""

    if len(values) < len(columns):
        raise _RowError("", f"has {len(values)} values, the header has {len(columns)}")
    supplier = get("supplier")
    if not supplier:
        raise _RowError("Supplier", "is empty")
    try:
        amount = parse_amount(get("amount"))
    except ValueError as exc:
        raise _RowError("Amount", str(exc)) from exc
    try:
        paid_on = parse_day(get("date"))
    except ValueError as exc:
        raise _RowError("Date", str(exc)) from exc
    number = get("transaction number")
    return SpendRow(
        line=line,
        entity=get("entity")[:200] or None,
        paid_on=paid_on,
        expense_type=get("expense type")[:300] or None,
        expense_area=get("expense area")[:300] or None,
        supplier_name=supplier[:300],
        transaction_number=None if number.casefold() in _NO_NUMBER else number[:100],
        amount=amount,
        description=get("description") or None,
    )


def ingest_spend(
    session: Session,
    *,
    actor: Actor,
    data: bytes,
    filename: str,
    organisation_id: int | None = None,
    encoding: str = "utf-8-sig",
) -> SpendUpload:
    """Load a spend file for the actor's department (an administrator may name another)."""
    require_commercial(actor)
    org_id = organisation_id if (organisation_id and actor.is_admin) else actor.organisation_id
    if organisation_id and not actor.is_admin:
        require(organisation_id == actor.organisation_id, "You can only load your own spend")
    org = session.get(Organisation, org_id) if org_id else None
    if org is None or not org.is_public_sector:
        raise Invalid("Choose the department the spend belongs to", field="organisation_id")
    digest = hashlib.sha256(data).hexdigest()
    earlier = _loaded(session, org.id, digest)
    if earlier is not None:
        return earlier  # the same file again: nothing new to load
    rows = read_spend(data, encoding=encoding)
    register = Register.load(session)
    upload = SpendUpload(
        filename=filename[:300],
        sha256=digest,
        organisation_id=org.id,
        created_by_id=actor.user_id,
        rows=len(rows),
        total=sum((r.amount for r in rows), Decimal(0)),
    )
    try:
        with session.begin_nested():
            session.add(upload)
            session.flush()
    except IntegrityError:
        # The same file was loaded by someone else at the same moment: theirs stands.
        earlier = _loaded(session, org.id, digest)
        if earlier is None:
            raise
        return earlier
    lines = [_line(upload, r, register) for r in rows]
    session.execute(insert(table(SpendLine)), lines)
    upload.unmatched = unmatched_report(lines)
    session.flush()
    return upload


def _loaded(session: Session, organisation_id: int, digest: str) -> SpendUpload | None:
    return session.scalar(
        select(SpendUpload).where(
            SpendUpload.organisation_id == organisation_id, SpendUpload.sha256 == digest
        )
    )


def _line(upload: SpendUpload, row: SpendRow, register: Register) -> dict[str, Any]:
    supplier = register.find(row.supplier_name)
    return {
        "upload_id": upload.id,
        "organisation_id": upload.organisation_id,
        "line": row.line,
        "entity": row.entity,
        "paid_on": row.paid_on,
        "financial_year": financial_year(row.paid_on),
        "expense_type": row.expense_type,
        "expense_area": row.expense_area,
        "supplier_name": row.supplier_name,
        "supplier_id": supplier.id if supplier else None,
        "transaction_number": row.transaction_number,
        "amount": row.amount,
        "description": row.description,
    }


def unmatched_report(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Suppliers in the file that match nobody in the register: lines and total, largest first."""
    found: dict[str, dict[str, Any]] = {}
    for line in lines:
        if line["supplier_id"] is not None:
            continue
        entry = found.setdefault(
            line["supplier_name"], {"supplier": line["supplier_name"], "lines": 0, "total": "0"}
        )
        entry["lines"] += 1
        entry["total"] = str(Decimal(entry["total"]) + line["amount"])
    return sorted(found.values(), key=lambda e: -Decimal(e["total"]))


def rematch(session: Session) -> int:
    """Match spend lines whose supplier was unknown against the register as it is now."""
    register = Register.load(session)
    matched = 0
    unmatched = session.execute(
        select(SpendLine.id, SpendLine.supplier_name).where(SpendLine.supplier_id.is_(None))
    ).all()
    updates = []
    for line_id, name in unmatched:
        supplier = register.find(name)
        if supplier is not None:
            updates.append({"id": line_id, "supplier_id": supplier.id})
    if updates:
        session.execute(update(SpendLine), updates)
        matched = len(updates)
    return matched


def get_upload(session: Session, *, actor: Actor, upload_id: int) -> SpendUpload:
    upload = session.get(SpendUpload, upload_id)
    if upload is None or not (actor.is_admin or actor.is_civil_servant):
        raise NotFound(f"No spend upload {upload_id}")
    return upload


def read_spend_path(path: Path, encoding: str = "utf-8-sig") -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise Invalid([FieldError(str(path), f"cannot read the file ({exc.strerror})")]) from exc
