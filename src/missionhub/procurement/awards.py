"""Awards from a compiled release: which value counts as spend, and how it is split.

Pure functions over OCDS dicts. The rules (docs/decisions/0042-award-value-rules.md):

- An award that sets up an agreement (a framework, dynamic purchasing system or panel) gives a
  ceiling, not spend: its value counts as 0. It is one when the tender says so
  (``tender.techniques.hasFrameworkAgreement`` / ``hasDynamicPurchasingSystem``), when the
  tender's title, description or procedure says "framework", "dynamic purchasing system",
  "DPS" or "panel", or when the award names more than ``AGREEMENT_MIN_SUPPLIERS - 1``
  suppliers; a call-off from such an agreement is spend.
- A multi-supplier award is split by the suppliers' own award values when every supplier has
  one (older Contracts Finder ``x_awardValue``), pro rata so the parts add up to the award;
  otherwise equally.
- Only GBP values count; the financial year is the UK one (April to March) of the award date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

AGREEMENT_MIN_SUPPLIERS = 6
_AGREEMENT_WORDS = re.compile(r"framework|dynamic purchasing|\bdps\b|\bpanel\b", re.I)
# Every text _AGREEMENT_WORDS matches contains one of these once case-folded.
_AGREEMENT_HINTS = ("framework", "dynamic purchasing", "dps", "panel")
_CALL_OFF = re.compile(r"call[- ]?off|mini[- ]competition|further competition", re.I)
SHARE_PLACES = Decimal("0.00000001")


@dataclass
class SupplierShare:
    party: dict[str, Any]
    share: Decimal
    named_value: Decimal | None = None
    removed: bool = False


@dataclass
class AwardData:
    award_id: str
    title: str | None
    status: str | None
    award_date: date | None
    value: Decimal | None
    currency: str | None
    agreement_reason: str | None
    split_rule: str
    suppliers: list[SupplierShare] = field(default_factory=list)
    subcontractors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def financial_year(self) -> str | None:
        return financial_year(self.award_date) if self.award_date else None


def financial_year(day: date) -> str:
    """The UK financial year of a day: 2025-01-15 -> "2024-25"."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one (OCDS data is often incomplete)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def parse_date(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def money(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))


def agreement_reason(compiled: dict[str, Any], supplier_count: int) -> str | None:
    """Why this process's awards are agreements (ceilings, not spend), or None if they are not."""
    return _AgreementRule(compiled).reason(supplier_count)


class _AgreementRule:
    """``agreement_reason`` with what the tender says read once per process (its text is long
    and the same for every award of the process)."""

    __slots__ = ("call_off", "stated")

    def __init__(self, compiled: dict[str, Any]) -> None:
        tender = as_dict(compiled.get("tender"))
        method = str(tender.get("procurementMethodDetails") or "")
        self.call_off = bool(
            _CALL_OFF.search(method) or _CALL_OFF.search(str(tender.get("title") or ""))
        )
        self.stated: str | None = None
        if self.call_off:
            return
        techniques = as_dict(tender.get("techniques"))
        if techniques.get("hasFrameworkAgreement") or techniques.get("hasDynamicPurchasingSystem"):
            self.stated = "tender.techniques says it is a framework or dynamic purchasing system"
            return
        text = " ".join(
            str(tender.get(k) or "") for k in ("title", "description", "procurementMethodDetails")
        )
        folded = text.casefold()  # a cheap test first: the regex only where a word may be
        if not any(word in folded for word in _AGREEMENT_HINTS):
            return
        match = _AGREEMENT_WORDS.search(text)
        if match:
            self.stated = f"the tender says {match.group(0).lower()!r}"

    def reason(self, supplier_count: int) -> str | None:
        if self.call_off:
            return None
        if self.stated is not None:
            return self.stated
        if supplier_count >= AGREEMENT_MIN_SUPPLIERS:
            return f"the award names {supplier_count} suppliers (a multi-supplier agreement)"
        return None


def split(
    suppliers: list[dict[str, Any]], award_value: Decimal | None
) -> tuple[str, list[Decimal]]:
    """Each supplier's share of the award, and the rule used ("single", "named", "equal")."""
    n = len(suppliers)
    if n == 1:
        return "single", [Decimal(1)]
    named = [money((s.get("x_awardValue") or {}).get("amount")) for s in suppliers]
    total = sum((v for v in named if v is not None), Decimal(0))
    if all(v is not None and v >= 0 for v in named) and total > 0:
        return "named", _shares([v or Decimal(0) for v in named], total)
    return "equal", _shares([Decimal(1)] * n, Decimal(n))


def _shares(parts: list[Decimal], total: Decimal) -> list[Decimal]:
    shares = [(p / total).quantize(SHARE_PLACES, ROUND_HALF_EVEN) for p in parts]
    shares[-1] += Decimal(1) - sum(shares)  # the parts add up to the whole award
    return shares


def _parties(release: dict[str, Any]) -> dict[str, dict[str, Any]]:
    parties = as_list(release.get("parties"))
    return {str(p.get("id")): p for p in parties if isinstance(p, dict) and p.get("id") is not None}


def _supplier_party(ref: dict[str, Any], parties: dict[str, dict[str, Any]]) -> dict[str, Any]:
    party = dict(parties.get(str(ref.get("id")), {}))
    party.setdefault("name", ref.get("name") or "")
    party.setdefault("id", ref.get("id"))
    return party


def awards(compiled: dict[str, Any], releases: list[dict[str, Any]]) -> list[AwardData]:
    """The awards of a compiled release, with suppliers removed by an amendment included."""
    raws = [
        raw
        for raw in compiled.get("awards") or []
        if isinstance(raw, dict) and raw.get("id") is not None
    ]
    if not raws:
        return []
    parties = _parties(compiled)
    history = _SupplierHistory(releases) if _history_matters(releases) else None
    rule = _AgreementRule(compiled)
    subcontractors = [p for p in parties.values() if "subcontractor" in (p.get("roles") or [])]
    out = []
    for raw in raws:
        refs = [s for s in as_list(raw.get("suppliers")) if isinstance(s, dict)]
        refs = list({_key(s): s for s in refs}.values())
        latest = history.latest(str(raw["id"])) if history is not None else None
        if latest is not None:  # merging keeps every supplier ever named; the latest notice says
            refs = [r for r in refs if _key(r) in latest]  # who is on the contract now
        data = _award(compiled, raw, [_supplier_party(r, parties) for r in refs], rule)
        if history is not None:
            current = {_key(part.party) for part in data.suppliers}
            for party in history.removed(data.award_id, current):
                data.suppliers.append(SupplierShare(party, Decimal(0), removed=True))
        data.subcontractors = list(subcontractors)
        out.append(data)
    return out


def _award(
    compiled: dict[str, Any],
    raw: dict[str, Any],
    suppliers: list[dict[str, Any]],
    rule: _AgreementRule,
) -> AwardData:
    value_obj = as_dict(raw.get("value"))
    currency = value_obj.get("currency")
    value = money(value_obj.get("amount")) if currency in (None, "GBP") else None
    split_rule, shares = split(suppliers, value) if suppliers else ("none", [])
    return AwardData(
        award_id=str(raw["id"]),
        title=raw.get("title") or (compiled.get("tender") or {}).get("title"),
        status=raw.get("status"),
        award_date=parse_date(raw.get("date")) or parse_date(compiled.get("date")),
        value=value,
        currency=currency,
        agreement_reason=rule.reason(len(suppliers)),
        split_rule=split_rule,
        suppliers=[
            SupplierShare(
                p,
                share,
                money((p.get("x_awardValue") or {}).get("amount"))
                if split_rule == "named"
                else None,
            )
            for p, share in zip(suppliers, shares, strict=True)
        ],
    )


def _history_matters(releases: list[dict[str, Any]]) -> bool:
    """Whether the releases can say more of an award's suppliers than the compiled release:
    several releases (an amendment may replace a list), or one that names an award twice."""
    if len(releases) != 1:
        return True
    ids = [str(a.get("id")) for a in as_list(releases[0].get("awards")) if isinstance(a, dict)]
    return len(ids) != len(set(ids))


def _key(party: dict[str, Any]) -> str:
    return str(party.get("id") or party.get("name"))


class _SupplierHistory:
    """What each release of a process says of each award's suppliers, read once per process:
    ``latest_suppliers`` and ``removed_suppliers`` for every award without re-reading them."""

    def __init__(self, releases: list[dict[str, Any]]) -> None:
        self.releases = releases
        self.by_date: list[dict[str, Any]] | None = None
        self.parties: dict[int, dict[str, dict[str, Any]]] = {}

    def latest(self, award_id: str) -> set[str] | None:
        if self.by_date is None:
            self.by_date = (
                self.releases
                if len(self.releases) == 1
                else sorted(self.releases, key=lambda r: str(r.get("date") or ""))
            )
        return _latest_in_order(self.by_date, award_id)

    def removed(self, award_id: str, current: set[str]) -> list[dict[str, Any]]:
        removed: dict[str, dict[str, Any]] = {}
        for index, release in enumerate(self.releases):
            for raw in release.get("awards") or []:
                if not isinstance(raw, dict) or str(raw.get("id")) != award_id:
                    continue
                for ref in raw.get("suppliers") or []:
                    if isinstance(ref, dict) and _key(ref) not in current:
                        parties = self.parties.get(index)
                        if parties is None:
                            parties = self.parties[index] = _parties(release)
                        removed[_key(ref)] = _supplier_party(ref, parties)
        return list(removed.values())


def latest_suppliers(releases: list[dict[str, Any]], award_id: str) -> set[str] | None:
    """The suppliers of an award in the latest release that lists them (an amendment replaces
    the list; OCDS merging would keep the old names), or None if no release lists them."""
    return _latest_in_order(sorted(releases, key=lambda r: str(r.get("date") or "")), award_id)


def _latest_in_order(releases: list[dict[str, Any]], award_id: str) -> set[str] | None:
    latest: set[str] | None = None
    for release in releases:
        for raw in as_list(release.get("awards")):
            if isinstance(raw, dict) and str(raw.get("id")) == award_id and "suppliers" in raw:
                latest = {_key(s) for s in as_list(raw["suppliers"]) if isinstance(s, dict)}
    return latest


def removed_suppliers(
    releases: list[dict[str, Any]], award_id: str, current: set[str]
) -> list[dict[str, Any]]:
    """Suppliers named on this award by an earlier release but no longer in the compiled one."""
    return _SupplierHistory(releases).removed(award_id, current)
