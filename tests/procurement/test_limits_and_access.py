"""What a user can send and see at the edges: oversized and refused uploads leave nothing behind,
a spend file loads once even when two loads race, suppliers read only their own register
entry, out-of-range audit settings are refused, and published links never come from a Host
header in production."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from missionhub.accounts.models import Role
from missionhub.procurement import spend
from missionhub.procurement.models import (
    Award,
    PlannedProcurement,
    SpendLine,
    SpendUpload,
    Supplier,
    SupplyChainReturn,
)
from missionhub.procurement.pipeline import planning_package
from missionhub.settings import Environment, Settings
from tests.factories import World
from tests.procurement.factories import Procurement, award_release, package_bytes, sme
from tests.procurement.test_pages import token

SPEND_HEADER = (
    b"Department Family,Entity,Date,Expense Type,Expense Area,Supplier,Transaction Number,Amount\n"
)
SPEND_ROW = b"HM Treasury,HM Treasury,01/04/2025,IT,Digital,Acme Ltd,T1,30000.00\n"


def _count(session: Session, table: type) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def test_an_oversized_spend_or_returns_file_is_refused_whole_not_truncated(
    client: TestClient, world: World, buying: Procurement, settings: Settings, session: Session
) -> None:
    settings.max_upload_mb = 1
    world.sign_in(client, buying.officer(world.department("HM Treasury")))
    # A valid file whose first megabyte alone would also parse: truncating would load it.
    big = SPEND_HEADER + SPEND_ROW * (1024 * 1024 // len(SPEND_ROW) + 10)
    response = client.post(
        "/procurement/spend",
        data={"csrf_token": token(client, "/procurement/spend")},
        files={"file": ("spend.csv", big, "text/csv")},
    )
    assert response.status_code == 400
    assert "smaller than 1 MB" in response.text
    assert _count(session, SpendUpload) == _count(session, SpendLine) == 0

    returns = client.post(
        "/procurement/returns/upload",
        data={"csrf_token": token(client, "/procurement/spend")},
        files={"file": ("returns.csv", b"x" * (1024 * 1024 + 1), "text/csv")},
    )
    assert returns.status_code == 422
    assert "smaller than 1 MB" in returns.text
    wrong = client.post(
        "/procurement/returns/upload",
        data={"csrf_token": token(client, "/procurement/spend")},
        files={"file": ("returns.xlsx", b"PK", "application/octet-stream")},
    )
    assert wrong.status_code == 422
    assert "must end in .csv" in wrong.text
    assert _count(session, SupplyChainReturn) == 0


def test_a_refused_ocds_upload_leaves_no_file_on_disk(
    client: TestClient, world: World, buying: Procurement, settings: Settings
) -> None:
    # A department member may open the form but not load files: the upload is refused after
    # it was received, and the received file must not stay in var/uploads.
    world.sign_in(client, world.member(world.department()))
    release = award_release(ocid="ocds-x-up-1", rid="r1", date="2025-01-10T00:00:00Z",
                            suppliers=[sme("S1", "Upload Small Ltd")])  # fmt: skip
    response = client.post(
        "/procurement/ingest",
        data={"csrf_token": token(client, "/procurement/ingest")},
        files={"file": ("cf.json", package_bytes([release]), "application/json")},
    )
    assert response.status_code == 403
    uploads = settings.var_dir / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []


def test_the_same_spend_file_loads_once_even_when_two_loads_race(
    world: World, buying: Procurement, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    hmt = world.department("HM Treasury")
    actor = buying.actor(buying.officer(hmt))
    data = SPEND_HEADER + SPEND_ROW
    first = spend.ingest_spend(session, actor=actor, data=data, filename="a.csv")
    # The database itself refuses a second copy ...
    copy = SpendUpload(filename="b.csv", sha256=first.sha256, organisation_id=hmt.id)
    with session.begin_nested() as savepoint:
        session.add(copy)
        with pytest.raises(IntegrityError):
            session.flush()
        savepoint.rollback()
    # ... and a load that passed its "already loaded?" check just before another load of the
    # same file committed returns that load instead of failing or counting the spend twice.
    real = spend._loaded
    calls = iter([None])
    monkeypatch.setattr(spend, "_loaded", lambda *a: next(calls, None) or real(*a))
    second = spend.ingest_spend(session, actor=actor, data=data, filename="b.csv")
    assert second.id == first.id
    assert _count(session, SpendUpload) == 1
    assert _count(session, SpendLine) == 1


def test_a_supplier_reads_its_own_register_entry_but_not_another_suppliers(
    client: TestClient, world: World, session: Session
) -> None:
    acme_org, other_org = world.supplier_org("Acme Analytics Ltd"), world.supplier_org("Other Ltd")
    acme = Supplier(name="Acme Analytics Ltd", normalised_name="acme analytics",
                    organisation_id=acme_org.id)  # fmt: skip
    other = Supplier(name="Other Ltd", normalised_name="other", organisation_id=other_org.id)
    session.add_all([acme, other])
    session.flush()
    headers = world.bearer(world.user(Role.SUPPLIER, acme_org))
    assert client.get(f"/api/procurement/suppliers/{acme.id}", headers=headers).status_code == 200
    refused = client.get(f"/api/procurement/suppliers/{other.id}", headers=headers)
    assert refused.status_code == 404
    world.sign_in(client, world.user(Role.SUPPLIER, acme_org, email="page@acme.example"))
    assert client.get(f"/procurement/suppliers/{other.id}").status_code == 404
    officer = world.bearer(world.member(world.department()))
    assert client.get(f"/api/procurement/suppliers/{other.id}", headers=officer).status_code == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("min_share=NaN", "share must be a number between 0 and 1"),
        ("min_share=Infinity", "share must be a number between 0 and 1"),
        ("min_share=1.5", "share must be a number between 0 and 1"),
        ("after_days=-1", "days must be between 0 and 36500"),
        ("after_days=99999999999999999999", "days must be between 0 and 36500"),
    ],
)
def test_audit_settings_out_of_range_are_refused_with_a_message(
    client: TestClient, world: World, buying: Procurement, query: str, message: str
) -> None:
    officer = buying.officer(world.department())
    buying.ingest(
        package_bytes([award_release(ocid="ocds-x-aud-1", rid="r1", date="2025-01-10T00:00:00Z",
                                     suppliers=[sme("S1", "Audit Small Ltd")])]),
        buying.actor(officer),
    )  # fmt: skip
    world.sign_in(client, officer)
    award_id = buying.session.scalar(select(Award.id))
    for path in ("/procurement/audit", "/procurement/audit.csv"):
        response = client.get(f"{path}?award={award_id}&{query}")
        assert response.status_code == 422, (path, response.status_code)
        assert message in response.text


def test_published_pipeline_links_use_the_configured_address_never_the_host_header(
    client: TestClient, world: World, buying: Procurement, settings: Settings, session: Session
) -> None:
    world.sign_in(client, buying.officer(world.department()))
    created = client.post("/pipeline/new", data={
        "csrf_token": token(client, "/pipeline/new"), "title": "Data platform",
        "description": "A data platform.", "estimated_value": "250000", "notice_type": "UK1",
        "publish_on-day": "1", "publish_on-month": "2", "publish_on-year": "2026",
        "visibility": "published", "sme_suitable": "true",
    })  # fmt: skip
    assert created.status_code == 303
    world.sign_in(client, None)
    evil = {"host": "evil.example"}

    settings.environment = Environment.PRODUCTION
    package = json.loads(client.get("/pipeline.json", headers=evil).text)
    assert package["uri"] == "/pipeline.json"
    assert "evil.example" not in json.dumps(package)
    # Every link in the package leads to a real page.
    page = package["releases"][0]["planning"]["documents"][0]["url"]
    assert client.get(page).status_code == 200

    settings.public_url = "https://hub.example.gov.uk/"
    package = json.loads(client.get(created.headers["location"] + ".json", headers=evil).text)
    assert package["uri"] == "https://hub.example.gov.uk/pipeline.json"
    assert "evil.example" not in json.dumps(package)

    planned = session.scalar(select(PlannedProcurement))
    assert planned is not None
    assert planning_package(session, [planned])["uri"] == "/pipeline.json"


def test_a_public_url_must_be_an_http_address() -> None:
    with pytest.raises(ValueError, match="public_url"):
        Settings(public_url="javascript:alert(1)")
    assert Settings(public_url="https://hub.example").site_url("http://x/") == "https://hub.example"
