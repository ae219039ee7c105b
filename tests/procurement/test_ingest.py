"""Ingesting OCDS into the store: whole or nothing, idempotent, suppliers and SME status."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from missionhub.accounts.audit import history_for
from missionhub.accounts.models import Role
from missionhub.errors import Invalid, PermissionDenied
from missionhub.procurement import ingest, preparing, suppliers, workers
from missionhub.procurement.models import (
    Award,
    AwardSupplier,
    ClassificationSource,
    OcdsProcess,
    OcdsRelease,
    Scale,
    SmeClassification,
    Supplier,
)
from missionhub.procurement.suppliers import company_number, normalise_name
from tests.conftest import require_data
from tests.factories import World
from tests.procurement.factories import (
    Procurement,
    award_release,
    fresh,
    package_bytes,
    real_package,
    schema_path,
    sme,
)


@pytest.fixture(autouse=True, params=["here", "worker", "workers"])
def where(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs three times: checked and compiled in this process, in one worker,
    and in two workers taking every other batch (batches of 3, so that they take turns)."""
    parts = {"here": 0, "worker": 1, "workers": 2}[request.param]
    monkeypatch.setattr(ingest, "workers_for", lambda *args: parts)
    if parts == 2:
        monkeypatch.setattr(preparing, "BATCH", 3)
    return str(request.param)


def test_a_worker_process_loads_exactly_what_this_process_loads(
    buying: Procurement, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = require_data("procurement", "contracts_finder_2025_release_package.json").read_bytes()
    amended = json.loads(data)
    amended["releases"] = [
        {**r, "id": r["id"] + "-amended", "date": "2026-01-01T00:00:00Z"}
        for r in amended["releases"][:40]
    ]

    def contents() -> list[list[tuple[object, ...]]]:
        links = (
            select(Award.award_id, Supplier.name, AwardSupplier.share)
            .add_columns(AwardSupplier.removed_by_amendment)
            .join(AwardSupplier, AwardSupplier.award_id == Award.id)
            .join(Supplier, Supplier.id == AwardSupplier.supplier_id)
        )
        statements = [
            select(OcdsRelease.ocid, OcdsRelease.release_id, OcdsRelease.raw),
            select(OcdsProcess.ocid, OcdsProcess.compiled, OcdsProcess.title).add_columns(
                OcdsProcess.release_count, OcdsProcess.buyer_name
            ),
            select(Award.ocid, Award.award_id, Award.value, Award.agreement_reason).add_columns(
                Award.split_rule, Award.financial_year
            ),
            links,
            select(Supplier.name, Supplier.identifier, Supplier.scale),
            select(SmeClassification.ocid, SmeClassification.release_id).add_columns(
                SmeClassification.scale, SmeClassification.observed_at
            ),
        ]
        return [sorted(map(tuple, buying.session.execute(s).all())) for s in statements]

    reports = []
    for parts in (0, 2):
        savepoint = buying.session.begin_nested()
        monkeypatch.setattr(ingest, "workers_for", lambda *args, parts=parts: parts)
        reports.append(
            [buying.ingest(data).as_dict(), buying.ingest(json.dumps(amended).encode()).as_dict()]
        )
        reports[-1].append(contents())
        savepoint.rollback()
    for report in reports:  # ingest ids differ
        for part in report[:2]:
            part.pop("ingest_id")
    assert reports[0] == reports[1]


def test_the_real_2025_file_loads_every_release_and_compiles_each_process(
    buying: Procurement,
) -> None:
    data = require_data("procurement", "contracts_finder_2025_release_package.json").read_bytes()
    report = buying.ingest(data)
    releases = real_package()["releases"]
    assert report.read == report.new == len(releases) == 200
    assert buying.counts()["ocds_processes"] == len({r["ocid"] for r in releases}) == 190
    assert len(report.warnings) >= 2  # the two "http://Contract Finder" document URLs
    expected_awards = {(r["ocid"], a["id"]) for r in releases for a in r.get("awards", [])}
    assert buying.counts()["awards"] == len(expected_awards)

    again = buying.ingest(data)  # idempotent on (ocid, release id)
    assert (again.new, again.existing) == (0, 200)
    assert buying.counts()["ocds_releases"] == 200


@pytest.mark.parametrize(
    "broken",
    [
        b'{"releases": [{"ocid": "a", "id" "1"}]}',
        b'{"releases": [{"ocid": "a", "id": "1", "amount": NaN}]}',
        '{"releases": [{"ocid": "a", "title": "\xa3"}]}'.encode("latin-1"),
    ],
    ids=["malformed", "invalid-number", "latin-1"],
)
def test_a_broken_file_writes_nothing(buying: Procurement, broken: bytes) -> None:
    good = fresh(real_package()["releases"][5])
    before = buying.counts()
    data = package_bytes([good])[:-2] + b"," + broken[len(b'{"releases": [') :]
    with pytest.raises(Invalid) as caught:
        buying.ingest(data)
    assert "line 1" in str(caught.value)
    assert buying.counts() == before


def test_a_truncated_file_writes_nothing(buying: Procurement) -> None:
    data = package_bytes([fresh(r) for r in real_package()["releases"][:30]])
    before = buying.counts()
    with pytest.raises(Invalid, match="cut short"):
        buying.ingest(data[: len(data) * 2 // 3])
    assert buying.counts() == before


def test_an_invalid_release_refuses_the_file_unless_valid_ones_are_kept(
    buying: Procurement,
) -> None:
    good = [fresh(r) for r in real_package()["releases"][:3]]
    bad = fresh(real_package()["releases"][3])
    bad["tender"]["value"] = {"amount": "forty million", "currency": "GBP"}
    before = buying.counts()
    with pytest.raises(Invalid) as caught:
        buying.ingest(package_bytes([*good, bad]))
    assert caught.value.errors[0].field == f"{bad['ocid']}/{bad['id']} $.tender.value.amount"
    assert buying.counts() == before

    report = buying.ingest(package_bytes([*good, bad]), keep_valid=True)
    assert report.new == 3
    assert report.rejected == [
        {"release": f"{bad['ocid']}/{bad['id']}", "path": "$.tender.value.amount",
         "message": '"forty million" is not of types "null", "number"'}
    ]  # fmt: skip


def test_a_schema_valid_process_that_cannot_be_merged_refuses_the_file_by_name(
    buying: Procurement,
) -> None:
    good = [fresh(r) for r in real_package()["releases"][:3]]
    odd = fresh(real_package()["releases"][3])
    # One party id with a value in one place and an object in another: valid OCDS (extension
    # fields are open), but ocdsmerge cannot merge it.
    odd["parties"] = [{"id": "a", "amount": False}, {"id": "a", "amount": {"id": "x"}}]
    before = buying.counts()
    with pytest.raises(Invalid) as caught:
        buying.ingest(package_bytes([*good, odd]))
    assert caught.value.errors[0].field == f"process {odd['ocid']}"
    assert "cannot be compiled" in caught.value.errors[0].message
    assert buying.counts() == before


def test_only_commercial_officers_load_data(buying: Procurement, world: World) -> None:
    member = world.member(world.department())
    with pytest.raises(PermissionDenied):
        buying.ingest(package_bytes([fresh(real_package()["releases"][0])]), world.actor(member))


def test_sme_status_from_details_scale_and_from_legacy_flags_with_provenance(
    buying: Procurement, session
) -> None:
    legacy = real_package("contracts_finder_2017_2020_legacy_release_package.json")["releases"]
    release = fresh(legacy[0])
    buying.ingest(package_bytes([release]))
    for party in release["parties"]:
        if "supplier" not in party["roles"]:
            continue
        found = session.scalar(
            select(Supplier).where(Supplier.normalised_name == normalise_name(party["name"]))
        )
        assert found is not None
        expected = Scale.SME if party["sme"] else Scale.LARGE
        assert found.scale is expected
        row = found.classifications[-1]
        assert (row.source, row.release_id) == (ClassificationSource.OCDS_SME_FLAG, release["id"])


def test_suppliers_resolve_by_company_number_then_by_normalised_name(
    buying: Procurement, session
) -> None:
    a = award_release(
        ocid="ocds-x-res-1",
        rid="r1",
        date="2025-01-10T00:00:00Z",
        suppliers=[
            sme("GB-CFS-1", "Acme Analytics Ltd", identifier={"scheme": "GB-COH", "id": "1234567"})
        ],
    )
    b = award_release(
        ocid="ocds-x-res-2",
        rid="r2",
        date="2025-02-10T00:00:00Z",
        suppliers=[
            sme(
                "GB-CFS-9",
                "ACME ANALYTICS LIMITED",
                "large",
                identifier={"scheme": "GB-COH", "id": "01234567"},
            )
        ],
    )
    c = award_release(ocid="ocds-x-res-3", rid="r3", date="2025-03-10T00:00:00Z",
                      suppliers=[sme("X-7", "Acme Analytics")])  # fmt: skip
    buying.ingest(package_bytes([a, b, c]))
    found = session.scalars(select(Supplier).where(Supplier.normalised_name == "acme analytics"))
    [acme] = found.all()
    assert acme.identifier == "GB-COH-01234567"
    assert len(acme.classifications) == 3
    assert acme.scale is Scale.SME  # the latest release (March) says SME
    assert company_number("sc 123456") == "SC123456"
    assert normalise_name("PETER DISPLAYS LTD T/A LIMELIGHT") == "peter displays"


def test_an_officer_overrides_sme_status_with_evidence_and_it_is_audited(
    buying: Procurement, world: World, session
) -> None:
    release = award_release(ocid="ocds-x-ov-1", rid="r1", date="2025-01-10T00:00:00Z",
                            suppliers=[sme("S1", "Tiny Widgets Ltd", "large")])  # fmt: skip
    buying.ingest(package_bytes([release]))
    supplier = session.scalar(select(Supplier).where(Supplier.name == "Tiny Widgets Ltd"))
    officer = buying.actor(buying.officer())
    with pytest.raises(Invalid):
        suppliers.override(session, actor=officer, supplier_id=supplier.id, scale=Scale.SME,
                           evidence="trust me")  # fmt: skip
    with pytest.raises(PermissionDenied):
        suppliers.override(session, actor=world.actor(world.member(world.department())),
                           supplier_id=supplier.id, scale=Scale.SME, evidence="x" * 20)  # fmt: skip
    suppliers.override(session, actor=officer, supplier_id=supplier.id, scale=Scale.SME,
                       evidence="Companies House accounts 2024: 12 staff, £1.2m")  # fmt: skip
    assert supplier.scale is Scale.SME
    later = award_release(ocid="ocds-x-ov-2", rid="r2", date="2025-06-10T00:00:00Z",
                          suppliers=[sme("S1", "Tiny Widgets Ltd", "large")])  # fmt: skip
    buying.ingest(package_bytes([later]))
    session.refresh(supplier)
    assert supplier.scale is Scale.SME  # a later release does not undo the officer's decision
    events = history_for(session, "suppliers", supplier.id)
    assert any(
        e.after and e.after.get("evidence", "").startswith("Companies House") for e in events
    )


def test_an_amendment_that_drops_a_supplier_is_kept_as_removed(
    buying: Procurement, session
) -> None:
    both = [sme("S1", "Prime Co Ltd", "large"), sme("S2", "Small Partner Ltd")]
    first = award_release(ocid="ocds-x-am-1", rid="r1", date="2025-01-10T00:00:00Z",
                          suppliers=both)  # fmt: skip
    second = award_release(ocid="ocds-x-am-1", rid="r2", date="2025-02-10T00:00:00Z",
                           suppliers=both[:1], tag="awardUpdate")  # fmt: skip
    buying.ingest(package_bytes([first]))
    buying.ingest(package_bytes([second]))
    award = session.scalar(select(Award).where(Award.ocid == "ocds-x-am-1"))
    links = {link.supplier.name: link for link in award.suppliers}
    assert links["Small Partner Ltd"].removed_by_amendment
    assert not links["Prime Co Ltd"].removed_by_amendment
    assert links["Prime Co Ltd"].share == 1
    process = session.scalar(select(OcdsProcess).where(OcdsProcess.ocid == "ocds-x-am-1"))
    compiled = json.loads(process.compiled)
    assert process.release_count == 2
    # OCDS merging keeps every supplier ever named on the award; the latest notice is the truth
    assert [s["name"] for s in compiled["awards"][0]["suppliers"]] == [
        "Prime Co Ltd",
        "Small Partner Ltd",
    ]


def test_a_buyer_with_an_account_holds_its_contracts(buying: Procurement, world: World, session):
    dwp = world.department("Department for Work and Pensions")
    moj = world.department("Ministry of Justice")
    release = award_release(ocid="ocds-x-own-1", rid="r1", date="2025-01-10T00:00:00Z",
                            suppliers=[sme("S1", "A Ltd")])  # fmt: skip
    buying.ingest(package_bytes([release]), buying.actor(buying.officer(moj)))
    award = session.scalar(select(Award).where(Award.ocid == "ocds-x-own-1"))
    assert award.organisation_id == dwp.id
    assert world.user(Role.COMMERCIAL, dwp)


def test_the_web_upload_path_never_forks_a_worker(
    buying: Procurement, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A web upload's job (procurement/jobs.py) runs beside the server's threads and calls
    ingest_ocds without ``parallel``: it must read in one process, even for a large file on a
    machine with several processors (decision 0047)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a worker was forked")

    monkeypatch.setattr(workers, "WORKER_MIN_BYTES", 0)
    monkeypatch.setattr(ingest, "prepared_elsewhere", refuse)
    data = package_bytes([fresh(r) for r in real_package()["releases"][:5]])
    with buying.session.begin_nested():
        report = ingest.ingest_ocds(
            buying.session, actor=buying.actor(buying.officer()), source=io.BytesIO(data),
            filename="web.json", schema_path=schema_path(),
        )  # fmt: skip
    assert report.new == 5


def test_a_release_repeated_in_the_file_is_stored_once(buying: Procurement, where: str) -> None:
    """The same release twice (first and fourth: in batches that two workers take in turn)
    is stored once; the repeat is read but neither new nor already stored."""
    releases = [fresh(r) for r in real_package()["releases"][:6]]
    report = buying.ingest(package_bytes([*releases[:3], releases[0], *releases[3:]]))
    assert (report.read, report.new, report.existing) == (7, 6, 0)
    assert buying.counts()["ocds_releases"] == 6


def test_a_release_id_repeated_with_other_content_refuses_the_file(
    buying: Procurement, where: str
) -> None:
    releases = [fresh(r) for r in real_package()["releases"][:6]]
    changed = {**releases[0], "language": "cy"}
    mixed = [*releases[:3], changed, *releases[3:]]  # first and fourth: two workers' batches
    with pytest.raises(Invalid) as refused:
        buying.ingest(package_bytes(mixed))
    assert any("appears twice with different content" in e.message for e in refused.value.errors)
    assert buying.counts()["ocds_releases"] == 0

    kept = buying.ingest(package_bytes(mixed), keep_valid=True)
    assert (kept.new, len(kept.rejected)) == (6, 1)
    assert kept.rejected[0]["release"] == f"{changed['ocid']}/{changed['id']}"


def test_workers_read_a_file_on_disk_each_at_its_own_offset(
    buying: Procurement, where: str, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """Forked workers share an open file's offset; each must read at its own (os.pread), or
    they would take each other's bytes. Two workers on a file on disk load what one process
    loads from the same file."""
    path = tmp_path / "releases.json"
    path.write_bytes(package_bytes([fresh(r) for r in real_package()["releases"]]))
    monkeypatch.setattr(preparing, "BATCH", 3)

    def load(parts: int) -> tuple[dict[str, object], list[tuple[object, ...]]]:
        monkeypatch.setattr(ingest, "workers_for", lambda *args: parts)
        savepoint = buying.session.begin_nested()
        with path.open("rb") as source:
            report = ingest.ingest_ocds(
                buying.session, actor=buying.actor(buying.officer()), source=source,
                filename=path.name, schema_path=schema_path(), parallel=True,
            ).as_dict()  # fmt: skip
        stored = sorted(
            buying.session.execute(
                select(OcdsRelease.ocid, OcdsRelease.release_id, OcdsRelease.raw)
            ).all()
        )
        savepoint.rollback()
        report.pop("ingest_id")
        return report, [tuple(row) for row in stored]

    assert load(2) == load(0)
    assert len(load(2)[1]) == 200


def outcome(buying: Procurement, data: bytes, keep_valid: bool = True) -> tuple[object, ...]:
    """What a load says: the new releases and the rejects, or the errors that refused it."""
    savepoint = buying.session.begin_nested()
    try:
        report = buying.ingest(data, keep_valid=keep_valid)
        said: tuple[object, ...] = (
            "loaded",
            report.new,
            [(r["release"], r["message"]) for r in report.rejected],
        )
    except Invalid as exc:
        said = ("refused", [f"{e.field}: {e.message}" for e in exc.errors])
    savepoint.rollback()
    return said


def each_way(buying: Procurement, monkeypatch: pytest.MonkeyPatch, data: bytes, **kw: bool):
    """The outcome in this process and in two workers taking turns on batches of three."""
    monkeypatch.setattr(preparing, "BATCH", 3)
    found = []
    for parts in (0, 2):
        monkeypatch.setattr(ingest, "workers_for", lambda *args, parts=parts: parts)
        found.append(outcome(buying, data, **kw))
    return found


@pytest.mark.parametrize(
    ("places", "rejected"),
    [
        ({3: "Y", 9: "X"}, 1),  # X first (worker 0), Y and X again later (both worker 1)
        ({3: "Y", 4: "Y"}, 2),  # X first, then Y twice: each Y is a different content
    ],
)
def test_repeats_are_judged_in_file_order_whoever_reads_them(
    buying: Procurement, monkeypatch: pytest.MonkeyPatch, places: dict[int, str], rejected: int
) -> None:
    """Review finding: each worker judged repeats in its own batches, so the copy kept and the
    rejects could differ from one process reading the file."""
    releases = [fresh(r) for r in real_package()["releases"][:12]]
    x = releases[0]
    for place, which in places.items():
        releases[place] = x if which == "X" else {**x, "language": "cy"}
    here, there = each_way(buying, monkeypatch, package_bytes(releases))
    assert here == there
    assert len(here[2]) == rejected


def test_after_a_refusing_error_repeats_are_not_reported_whoever_reads_them(
    buying: Procurement, monkeypatch: pytest.MonkeyPatch
) -> None:
    releases = [fresh(r) for r in real_package()["releases"][:12]]
    releases[0] = {**releases[0], "date": 12345}  # a schema error in worker 0's first batch
    releases[5] = {**releases[4], "language": "cy"}  # then a repeat in worker 1's batch
    here, there = each_way(buying, monkeypatch, package_bytes(releases), keep_valid=False)
    assert here == there
    assert here[0] == "refused"
    assert not any("twice" in e for e in here[1])


def test_a_broken_file_reports_what_one_process_would(
    buying: Procurement, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review finding: a worker lost the batch in hand when it met broken JSON, so the file
    error could be reported in place of an earlier batch's own error."""
    releases = [fresh(r) for r in real_package()["releases"][:12]]
    first, second = releases[3], releases[4]  # batch 1: one process that cannot be merged
    second["ocid"] = first["ocid"]
    first["tender"]["x_thing"] = "value"
    second["tender"]["x_thing"] = {"nested": "object"}
    second["date"] = "2099-01-01T00:00:00Z"
    texts = [json.dumps(r) for r in releases]
    texts[9] = texts[9][:-1] + ', "x_bad": tru}'  # the first release of batch 3 is broken
    data = ('{"uri": "u", "version": "1.1", "releases": [' + ", ".join(texts) + "]}").encode()
    here, there = each_way(buying, monkeypatch, data)
    assert here == there
    assert "cannot be compiled" in here[1][0]


def test_processes_are_written_in_file_order(buying: Procurement, where: str) -> None:
    """Review finding: processes first seen in a batch went in in the order of a hash set,
    which changes from run to run (and with it which supplier a name finds first)."""
    releases = [fresh(r, f"order-{i:03d}") for i, r in enumerate(real_package()["releases"])]
    buying.ingest(package_bytes(releases))
    stored = buying.session.scalars(select(OcdsProcess.ocid).order_by(OcdsProcess.id)).all()
    in_file = list(dict.fromkeys(r["ocid"] for r in releases))
    assert [o for o in stored if o in set(in_file)] == in_file


def test_ids_longer_than_the_store_keeps_load_once(buying: Procurement, where: str) -> None:
    """An award id over 300 characters and an ocid over 200 are kept cut to those lengths; the
    load and its re-run work on the cut keys (they used to fail looking themselves up)."""
    release = next(fresh(r) for r in real_package()["releases"] if r.get("awards"))
    release["ocid"] = "ocds-b5fd17-" + "o" * 250
    release["awards"][0]["id"] = "A" * 310
    data = package_bytes([release])
    first = buying.ingest(data)
    again = buying.ingest(data)
    assert (first.new, first.awards, again.new, again.existing) == (1, 1, 0, 1)
    award = buying.session.scalar(select(Award).where(Award.ocid == release["ocid"][:200]))
    assert award is not None
    assert award.award_id == "A" * 300
