"""Factories for procurement tests: releases, packages, and the people who load them."""

from __future__ import annotations

import copy
import io
import json
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from missionhub.accounts.models import Organisation, Role, User
from missionhub.accounts.permissions import Actor
from missionhub.accounts.service import actor_for
from missionhub.procurement.ingest import IngestReport, ingest_ocds
from missionhub.procurement.models import (
    Award,
    AwardSupplier,
    OcdsIngest,
    OcdsProcess,
    OcdsRelease,
    SmeClassification,
    SpendLine,
    SpendUpload,
    Supplier,
)
from tests.conftest import require_data
from tests.factories import World

PROCUREMENT_TABLES = (
    OcdsIngest, OcdsRelease, OcdsProcess, Supplier, SmeClassification, Award, AwardSupplier,
    SpendUpload, SpendLine,
)  # fmt: skip


def schema_path() -> Path:
    return require_data("procurement", "ocds_release_schema_1.1.5.json")


def real_package(name: str = "contracts_finder_2025_release_package.json") -> dict[str, Any]:
    return json.loads(require_data("procurement", name).read_text(encoding="utf-8"))


def package_bytes(releases: list[dict[str, Any]]) -> bytes:
    return json.dumps(
        {
            "uri": "https://example.org/p.json",
            "version": "1.1",
            "publishedDate": "2025-03-01T00:00:00Z",
            "releases": releases,
        }
    ).encode()


def fresh(release: dict[str, Any], suffix: str | None = None) -> dict[str, Any]:
    """A copy of a real release with a new ocid and id (so tests do not collide)."""
    out = copy.deepcopy(release)
    suffix = suffix or uuid.uuid4().hex[:12]
    out["ocid"] = f"ocds-b5fd17-test-{suffix}"
    out["id"] = f"{release['id']}-{suffix}"
    return out


def award_release(
    *, ocid: str, rid: str, date: str, suppliers: list[dict[str, Any]], value: float = 100000,
    title: str = "Data analysis services", tag: str = "award", award_id: str = "1",
    buyer: str = "Department for Work and Pensions",
    extra_parties: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:  # fmt: skip
    parties = [{"id": "GB-BUYER-1", "name": buyer, "roles": ["buyer"]}]
    for s in suppliers:
        parties.append({"roles": ["supplier"], **s})
    parties.extend(extra_parties or [])
    return {
        "ocid": ocid, "id": rid, "date": date, "tag": [tag], "initiationType": "tender",
        "parties": parties, "buyer": {"id": "GB-BUYER-1", "name": buyer},
        "tender": {"id": "t1", "title": title, "procurementMethodDetails": "Open procedure"},
        "awards": [{"id": award_id, "status": "active", "date": date,
                    "value": {"amount": value, "currency": "GBP"},
                    "suppliers": [{"id": s["id"], "name": s["name"]} for s in suppliers]}],
    }  # fmt: skip


def sme(pid: str, name: str, scale: str = "sme", **extra: Any) -> dict[str, Any]:
    return {"id": pid, "name": name, "details": {"scale": scale}, **extra}


class Procurement:
    """The procurement side of the world: officers, loads, counts."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.session: Session = world.session

    def officer(self, org: Organisation | None = None) -> User:
        return self.world.user(Role.COMMERCIAL, org or self.world.department())

    def actor(self, user: User) -> Actor:
        return actor_for(user)

    def ingest(
        self, data: bytes, actor: Actor | None = None, *, keep_valid: bool = False,
        encoding: str = "utf-8",
    ) -> IngestReport:  # fmt: skip
        actor = actor or self.actor(self.officer())
        with self.session.begin_nested():
            return ingest_ocds(
                self.session, actor=actor, source=io.BytesIO(data), filename="test.json",
                schema_path=schema_path(), keep_valid=keep_valid, encoding=encoding,
                parallel=True,  # the worker is used where a test makes use_worker say so
            )  # fmt: skip

    def counts(self) -> dict[str, int]:
        return {
            t.__tablename__: self.session.scalar(select(func.count()).select_from(t)) or 0
            for t in PROCUREMENT_TABLES
        }
