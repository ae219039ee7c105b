"""Importing inventories: provenance, stage mapping, bad rows reported with file and line,
strict refusal, idempotent re-import, and the real files in ../shared/data/registry."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from missionhub.accounts.permissions import Actor
from missionhub.errors import Invalid, PermissionDenied
from missionhub.learning import records
from missionhub.learning.importers.common import source_key
from missionhub.learning.importers.formats import FORMATS
from missionhub.learning.models import DocKind, ImportedRecord, SearchDocument
from missionhub.portfolio.models import Project, Stage
from tests.conftest import require_data
from tests.factories import World
from tests.learning.factories import EU_HEADER, US_2025_HEADER, write

SYSTEM = Actor.system("test")

US_2025 = US_2025_HEADER + (
    "DOL,Department of Labor,DOL-1,Claims chatbot,ETA,No,Deployed,Benefits Processing,"
    "Generative AI,Answers unemployment claim questions,Faster answers,Text,Claims FAQs,2024-05\n"
    "DOL,Department of Labor,,,ETA,No,Pilot,,,,,,,\n"
    'DOL,Department of Labor,DOL-2,"Forms\nreader",OSHA,No,Mystery stage,,,Reads forms,,,,\n'
    "DOL,Department of Labor,DOL-1,Duplicate id,ETA,No,Deployed,,,Again,,,,\n"
)


def _import(session: Session, path: Path, **kw: object) -> records.ImportReport:
    return records.import_file(session, actor=SYSTEM, path=path, **kw)  # type: ignore[arg-type]


def test_good_rows_are_stored_with_provenance_and_bad_rows_reported_by_line(
    session: Session, tmp_path: Path
) -> None:
    path = write(tmp_path / "us2025.csv", US_2025)
    report = _import(session, path)
    assert (report.source, report.rows, report.created) == ("us-federal-2025", 4, 2)
    assert [str(s) for s in report.skipped] == [
        "us2025.csv, line 3: no use case name (column use_case_name)",
        "us2025.csv, line 6: same identifier 'DOL-1' as line 2",
    ]
    chatbot = session.scalar(select(ImportedRecord).where(ImportedRecord.source_id == "DOL-1"))
    assert chatbot is not None
    assert (chatbot.source_file, chatbot.source_line, chatbot.licence) == (
        "us2025.csv",
        2,
        FORMATS["us-federal-2025"].parse.__globals__["US_LICENCE"],
    )
    assert chatbot.stage is Stage.LIVE
    assert chatbot.source_stage == "Deployed"
    assert chatbot.description.startswith("Problem: Answers unemployment claim questions")
    reader = session.scalar(select(ImportedRecord).where(ImportedRecord.source_id == "DOL-2"))
    assert reader is not None
    assert reader.title == "Forms reader"
    assert reader.source_line == 4
    assert reader.stage is None
    assert reader.source_stage == "Mystery stage"
    doc = session.scalar(
        select(SearchDocument).where(
            SearchDocument.kind == DocKind.RECORD, SearchDocument.ref_id == chatbot.id
        )
    )
    assert doc is not None
    assert doc.country == "United States"
    assert doc.topic == "Generative AI"


def test_reimport_is_idempotent_and_updates_changed_rows(session: Session, tmp_path: Path) -> None:
    path = write(tmp_path / "us2025.csv", US_2025)
    _import(session, path)
    again = _import(session, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    write(path, US_2025.replace("Faster answers", "Much faster answers"))
    changed = _import(session, path)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
    assert session.scalar(select(func.count()).select_from(ImportedRecord)) == 2


def test_strict_refuses_the_whole_file_naming_each_line(session: Session, tmp_path: Path) -> None:
    path = write(tmp_path / "us2025.csv", US_2025)
    with pytest.raises(Invalid) as caught:
        _import(session, path, strict=True)
    assert [e.field for e in caught.value.errors] == ["us2025.csv line 3", "us2025.csv line 6"]
    assert session.scalar(select(func.count()).select_from(ImportedRecord)) == 0


def test_unknown_or_broken_files_are_refused_with_the_file_named(
    session: Session, tmp_path: Path
) -> None:
    with pytest.raises(Invalid, match=r"odd\.csv: not a known inventory format"):
        _import(session, write(tmp_path / "odd.csv", "a,b\n1,2\n"))
    with pytest.raises(Invalid, match="missing columns"):
        _import(session, write(tmp_path / "eu.csv", "name\nx\n"), source="eu-ai-watch")
    latin = tmp_path / "latin.csv"
    latin.write_bytes(EU_HEADER.encode() + "Régie,,,,d,,France,o,,,,,,,,,,,\n".encode("latin-1"))
    with pytest.raises(Invalid, match="not a readable UTF-8 CSV"):
        _import(session, latin)


def test_eu_rows_need_a_web_address_and_a_country(session: Session, tmp_path: Path) -> None:
    rows = (
        "Régie chatbot,Unknown,https://example.org,,Answers taxes,National,France,Régie,"
        "Governmental,2021/01/01,Unknown,,General public services,,,,Natural language "
        "processing,Unknown,Unknown\n"
        "Bad link,Unknown,ftp://x,,d,National,Spain,O,Governmental,,,,,,,,,,\n"
        "No country,Unknown,,,d,National,,O,Governmental,,,,,,,,,,\n"
    )
    report = _import(session, write(tmp_path / "eu.csv", EU_HEADER + rows, bom=True))
    assert report.created == 1
    assert [s.line for s in report.skipped] == [3, 4]
    assert "not a web address" in report.skipped[0].reason
    record = session.scalar(select(ImportedRecord))
    assert record is not None
    assert (record.country, record.year, record.licence) == ("France", 2021, "EUPL-1.2")


def test_only_an_administrator_imports(world: World, tmp_path: Path) -> None:
    member = world.member(world.department())
    with pytest.raises(PermissionDenied):
        records.import_file(
            world.session, actor=world.actor(member), path=write(tmp_path / "x.csv", US_2025)
        )


def test_atrs_source_runs_the_portfolio_importer(session: Session) -> None:
    report = _import(session, require_data("registry", "uk_atrs_index.json"), source="uk-atrs")
    assert report.rows == 136
    assert report.created == 136
    docs = session.scalar(
        select(func.count()).where(
            SearchDocument.kind == DocKind.PROJECT, SearchDocument.source == "uk-atrs"
        )
    )
    assert docs == 136 == session.scalar(select(func.count()).select_from(Project))


@pytest.mark.parametrize(
    ("source", "name", "rows", "good"),
    [
        ("us-federal-2023", "us_ai_use_cases_2023.csv", 710, 710),
        ("us-federal-2024", "us_ai_use_cases_2024.csv", 1757, 1740),
        ("us-federal-2025", "us_ai_use_cases_2025.csv", 3611, 3590),
        ("eu-ai-watch", "eu_ai_watch_public_services.csv", 143, 143),
    ],
)
def test_real_inventories_parse_with_every_skip_explained(
    source: str, name: str, rows: int, good: int
) -> None:
    path = require_data("registry", name)
    fmt = records.file_format(path, None)
    assert fmt.source == source  # detected from the headers (2024: coded, UTF-8 with BOM)
    parsed, skipped, total = records.parse_file(path, fmt)
    assert (total, len(parsed)) == (rows, good)
    assert len(parsed) + len(skipped) == total
    assert all(s.line > 1 and s.reason for s in skipped)
    assert len({r.source_id for r in parsed}) == len(parsed)
    # Every value fits its column (PostgreSQL refuses what SQLite would keep).
    assert max(len(r.source_id) for r in parsed) <= 300
    assert max(len(r.title) for r in parsed) <= 300
    for r in parsed:
        for value in (r.organisation, r.unit, r.topic, r.capability, r.source_stage):
            assert value is None or len(value) <= 200


def test_long_identifiers_keep_their_start_and_stay_unique() -> None:
    a, b = source_key("HHS", "x" * 400), source_key("HHS", "x" * 399 + "y")
    assert len(a) == len(b) == 300
    assert a != b
    assert a.startswith("HHS/xxx")
    assert source_key("DOL", "ETA", "Chatbot") == "DOL/ETA/Chatbot"
