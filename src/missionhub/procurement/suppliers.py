"""The supplier register: resolve a supplier by identifier (e.g. GB-COH-01234567), then by
normalised name; keep every SME classification with its provenance; let a commercial officer
override one with evidence."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from missionhub.accounts.models import Organisation, OrgKind, Role
from missionhub.accounts.permissions import Actor, require
from missionhub.errors import Invalid, NotFound
from missionhub.pagination import Page, paginate
from missionhub.procurement.awards import as_dict
from missionhub.procurement.models import ClassificationSource, Scale, SmeClassification, Supplier

_SUFFIXES = re.compile(
    r"\b(limited|ltd|plc|llp|lp|llc|inc|incorporated|company|co|uk|gb|group|the|t/?a .*)$"
)
_NON_WORD = re.compile(r"[^a-z0-9]+")
_COH = re.compile(r"^(?:GB-COH-)?([A-Z]{2}\d{6}|\d{1,8})$")
# OCDS partyScale: micro and sme are both small or medium enterprises; selfEmployed too.
SCALES = {"sme": Scale.SME, "micro": Scale.SME, "selfemployed": Scale.SME, "large": Scale.LARGE}


@lru_cache(maxsize=65536)
def normalise_name(name: str) -> str:
    """A name to match on: "PETER DISPLAYS LTD T/A LIMELIGHT" -> "peter displays",
    "A&E Elkins Ltd." -> "a and e elkins"."""
    text = unicodedata.normalize("NFKD", html.unescape(name)).encode("ascii", "ignore").decode()
    text = text.casefold().replace("&", " and ").replace("(", " ").replace(")", " ")
    text = re.sub(r"\s+t/?a\s.*$", "", text)
    text = _NON_WORD.sub(" ", text).strip()
    previous = None
    while previous != text:
        previous = text
        text = _SUFFIXES.sub("", text).strip()
    return text or _NON_WORD.sub(" ", name.casefold()).strip()


def company_number(value: str | None) -> str | None:
    """A Companies House number in its 8-character form, or None if it is not one."""
    if not value:
        return None
    match = _COH.match(value.strip().upper().replace(" ", ""))
    if not match:
        return None
    number = match.group(1)
    return number.zfill(8) if number.isdigit() else number


def party_identifier(party: dict[str, Any]) -> str | None:
    """A registered identifier for an OCDS party: scheme-id from ``identifier``, or a GB-COH
    party id. Contracts Finder's own GB-CFS ids are not registered identifiers."""
    ident = as_dict(party.get("identifier"))
    scheme = str(ident.get("scheme") or "").strip().upper()
    value = str(ident.get("id") or "").strip()
    if scheme == "GB-COH":
        number = company_number(value)
        return f"GB-COH-{number}" if number else None
    if scheme and value:
        return f"{scheme}-{value.upper()}"
    party_id = str(party.get("id") or "")
    if party_id.upper().startswith("GB-COH-"):
        number = company_number(party_id)
        return f"GB-COH-{number}" if number else None
    return None


def party_scale(party: dict[str, Any]) -> tuple[Scale, ClassificationSource] | None:
    """What a party says of its size: ``details.scale`` (OCDS 1.1) or the older ``sme`` flag."""
    details = as_dict(party.get("details"))
    scale = details.get("scale")
    if isinstance(scale, str) and scale.replace("-", "").casefold() in SCALES:
        return SCALES[scale.replace("-", "").casefold()], ClassificationSource.OCDS_SCALE
    flag = party.get("sme")
    if isinstance(flag, bool):
        return (Scale.SME if flag else Scale.LARGE), ClassificationSource.OCDS_SME_FLAG
    return None


@dataclass
class Register:
    """The register, cached in memory for one import (suppliers looked up thousands of times)."""

    session: Session
    by_identifier: dict[str, Supplier]
    by_name: dict[str, Supplier]
    accounts: dict[str, int]
    # Each (name, identifier) as given, once resolved: a file names the same supplier often.
    resolved: dict[tuple[str, str | None], Supplier] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> Register:
        suppliers = list(session.scalars(select(Supplier)))
        return cls(
            session,
            {s.identifier: s for s in suppliers if s.identifier},
            {s.normalised_name: s for s in sorted(suppliers, key=lambda s: -s.id)},
            _accounts(session),
        )

    def find(self, name: str, identifier: str | None = None) -> Supplier | None:
        if identifier and identifier in self.by_identifier:
            return self.by_identifier[identifier]
        found = self.by_name.get(normalise_name(name))
        if found is not None and identifier and found.identifier not in (None, identifier):
            return None  # same name, different registered company: a different supplier
        return found

    def resolve(self, name: str, identifier: str | None = None, *, flush: bool = True) -> Supplier:
        """The supplier with this identifier, else this normalised name, else a new one (written
        now, or with the session's next flush when ``flush`` is False: its id is not known yet)."""
        given = (name, identifier)
        if given in self.resolved:  # resolving the same again gives the same supplier
            return self.resolved[given]
        name = html.unescape(name).strip()[:300] or "(no name given)"
        found = self.find(name, identifier)
        if found is None:
            found = Supplier(
                name=name, normalised_name=normalise_name(name)[:300], identifier=identifier
            )
            found.organisation_id = self.account_for(found)
            self.session.add(found)
            if flush:
                self.session.flush()
        elif identifier and found.identifier is None:
            found.identifier = identifier
        if found.identifier:
            self.by_identifier[found.identifier] = found
        self.by_name.setdefault(found.normalised_name, found)
        self.resolved[given] = found
        return found

    def account_for(self, supplier: Supplier) -> int | None:
        """The supplier organisation with an account here, by company number, then name."""
        if supplier.identifier and supplier.identifier in self.accounts:
            return self.accounts[supplier.identifier]
        return self.accounts.get("name:" + supplier.normalised_name)


def _accounts(session: Session) -> dict[str, int]:
    found: dict[str, int] = {}
    for org in session.scalars(select(Organisation).where(Organisation.kind == OrgKind.SUPPLIER)):
        number = company_number(org.company_number)
        if number:
            found[f"GB-COH-{number}"] = org.id
        found.setdefault("name:" + normalise_name(org.name), org.id)
    return found


def observe(
    supplier: Supplier,
    scale: Scale,
    source: ClassificationSource,
    *,
    ocid: str | None,
    release_id: str | None,
    observed_at: str | None,
) -> SmeClassification:
    """Record what a release said of a supplier's size; it becomes the supplier's status unless
    an officer has overridden it or a later release said otherwise."""
    row = SmeClassification(
        scale=scale, source=source, ocid=ocid, release_id=release_id, observed_at=observed_at
    )
    supplier.classifications.append(row)
    supplier.scale = effective_scale(supplier.classifications)
    return row


def effective_scale(rows: list[SmeClassification]) -> Scale:
    """The officer's latest override if any, else the most recent release's statement."""
    overrides = [r for r in rows if r.source is ClassificationSource.OFFICER]
    if overrides:
        return overrides[-1].scale
    observed = [r for r in rows if r.observed_at]
    if not observed:
        return Scale.UNKNOWN
    return max(observed, key=lambda r: (r.observed_at or "", r.id or 0)).scale


def override(
    session: Session, *, actor: Actor, supplier_id: int, scale: Scale, evidence: str
) -> Supplier:
    """A commercial officer sets a supplier's SME status, giving the evidence."""
    require(
        actor.is_admin or actor.role is Role.COMMERCIAL,
        "Only a commercial officer can change a supplier's SME status",
    )
    supplier = get_supplier(session, actor=actor, supplier_id=supplier_id)
    if len(evidence.strip()) < 10:
        raise Invalid("Give the evidence for this status (at least 10 characters)", "evidence")
    supplier.classifications.append(
        SmeClassification(
            scale=scale,
            source=ClassificationSource.OFFICER,
            evidence=evidence.strip(),
            set_by_id=actor.user_id,
        )
    )
    supplier.scale = effective_scale(supplier.classifications)
    session.flush()
    return supplier


def get_supplier(session: Session, *, actor: Actor, supplier_id: int) -> Supplier:
    """One register entry with its SME evidence: for civil servants, and for a supplier's own
    organisation only (a supplier never reads another supplier's entry)."""
    require(actor.is_authenticated, "Sign in to see the supplier register")
    supplier = session.get(Supplier, supplier_id)
    if supplier is None or not (
        actor.is_admin or actor.is_civil_servant or actor.belongs_to(supplier.organisation_id)
    ):
        raise NotFound(f"No supplier with id {supplier_id}")
    return supplier


def list_suppliers(
    session: Session, *, actor: Actor, text: str | None = None, page: int = 1, page_size: int = 20
) -> Page[Supplier]:
    require(actor.is_civil_servant or actor.is_admin, "Only civil servants can see the register")
    stmt = select(Supplier).order_by(Supplier.normalised_name, Supplier.id)
    if text:
        stmt = stmt.where(Supplier.normalised_name.contains(normalise_name(text)))
    return paginate(session, stmt, page=page, page_size=page_size)


def count_by_scale(session: Session) -> dict[Scale, int]:
    rows = session.execute(select(Supplier.scale, func.count()).group_by(Supplier.scale))
    return {scale: n for scale, n in rows}
