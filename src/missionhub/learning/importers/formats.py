"""The inventory formats: the US Federal AI Use Case Inventory (2023, 2024 with coded headers,
2025) and the EU JRC AI Watch public-services cases. Each turns one CSV row into a RecordIn
or raises RowProblem saying why it cannot."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from missionhub.learning.importers import stages
from missionhub.learning.importers.common import (
    TITLE_MAX,
    RecordIn,
    RowProblem,
    joined,
    optional,
    required,
    source_key,
    year_of,
)

US_LICENCE = "US government work (public domain in the US)"
EU_LICENCE = "EUPL-1.2"
US_2023_URL = "https://github.com/ombegov/2024-Federal-AI-Use-Case-Inventory"
US_2024_URL = US_2023_URL
US_2025_URL = "https://github.com/ombegov/2025-Federal-Agency-AI-Use-Case-Inventory"


@dataclass(frozen=True)
class Format:
    source: str
    label: str
    required_headers: frozenset[str]
    parse: Callable[[dict[str, str], int, str], RecordIn]


def _kept(row: dict[str, str]) -> dict[str, str]:
    return {k: v.strip() for k, v in row.items() if v and v.strip() and v.strip() != "[]"}


def parse_us_2023(row: dict[str, str], line: int, file: str) -> RecordIn:
    source_stage = optional(row, "Development_Stage")
    return RecordIn(
        source="us-federal-2023",
        source_id=required(row, "Use_Case_ID", "use case id"),
        source_file=file,
        source_line=line,
        licence=US_LICENCE,
        title=required(row, "Title", "title", TITLE_MAX),
        description=joined(row, [("Summary", "Summary")]),
        organisation=required(row, "Department", "department"),
        unit=optional(row, "Agency"),
        country="United States",
        capability=optional(row, "Techniques"),
        stage=stages.map_stage(source_stage, stages.US_2023),
        source_stage=source_stage,
        year=2023,
        source_url=US_2023_URL,
        fields=_kept(row),
    )


US_2024_TEXT = [
    ("11_purpose_benefits", "Purpose and benefits"),
    ("12_outputs", "Outputs"),
    ("33_agency_data", "Data"),
]


def parse_us_2024(row: dict[str, str], line: int, file: str) -> RecordIn:
    name = required(row, "2_use_case_name", "use case name", TITLE_MAX)
    agency = required(row, "3_abr", "agency abbreviation")
    bureau = optional(row, "4_bureau")
    source_stage = optional(row, "16_dev_stage")
    return RecordIn(
        source="us-federal-2024",
        source_id=source_key(agency, bureau or "-", name),
        source_file=file,
        source_line=line,
        licence=US_LICENCE,
        title=name,
        description=joined(row, US_2024_TEXT),
        organisation=required(row, "3_agency", "agency"),
        unit=bureau,
        country="United States",
        topic=optional(row, "8_topic_area"),
        stage=stages.map_stage(source_stage, stages.US_2024),
        source_stage=source_stage,
        year=year_of(row.get("18_date_initiated")),
        source_url=US_2024_URL,
        fields=_kept(row),
    )


US_2025_TEXT = [
    ("problem_solved", "Problem"),
    ("benefits", "Benefits"),
    ("system_outputs", "Outputs"),
    ("data_description", "Data"),
]


def parse_us_2025(row: dict[str, str], line: int, file: str) -> RecordIn:
    name = required(row, "use_case_name", "use case name", TITLE_MAX)
    agency = required(row, "agency", "agency abbreviation")
    bureau = optional(row, "agency_bureau")
    source_stage = optional(row, "development_stage")
    return RecordIn(
        source="us-federal-2025",
        source_id=optional(row, "id") or source_key(agency, bureau or "-", name),
        source_file=file,
        source_line=line,
        licence=US_LICENCE,
        title=name,
        description=joined(row, US_2025_TEXT),
        organisation=required(row, "agency_name", "agency name"),
        unit=bureau,
        country="United States",
        topic=optional(row, "topic_area"),
        capability=optional(row, "classification"),
        stage=stages.map_stage(source_stage, stages.US_2025),
        source_stage=source_stage,
        year=year_of(row.get("operational_date")),
        source_url=US_2025_URL,
        fields=_kept(row),
    )


def parse_eu_ai_watch(row: dict[str, str], line: int, file: str) -> RecordIn:
    name = required(row, "name", "name", TITLE_MAX)
    country = required(row, "geocoverage", "country")
    url = optional(row, "url", 500)
    source_stage = optional(row, "status")
    if url and not url.startswith(("http://", "https://")):
        raise RowProblem(f"url {url!r} is not a web address (column url)")
    return RecordIn(
        source="eu-ai-watch",
        source_id=source_key(country, name),
        source_file=file,
        source_line=line,
        licence=EU_LICENCE,
        title=name,
        description=joined(row, [("description", "Description")]),
        organisation=required(row, "lead_organisation_name", "lead organisation"),
        unit=optional(row, "geoextent"),
        country=country,
        topic=optional(row, "primary_sector"),
        capability=optional(row, "technology"),
        stage=stages.map_stage(source_stage, stages.EU_AI_WATCH),
        source_stage=source_stage,
        year=year_of(row.get("start_date")),
        source_url=url,
        fields=_kept(row),
    )


FORMATS: dict[str, Format] = {
    f.source: f
    for f in (
        Format(
            "us-federal-2023",
            "US Federal AI Use Case Inventory 2023",
            frozenset({"Use_Case_ID", "Title", "Summary", "Development_Stage", "Department"}),
            parse_us_2023,
        ),
        Format(
            "us-federal-2024",
            "US Federal AI Use Case Inventory 2024",
            frozenset({"2_use_case_name", "3_agency", "3_abr", "11_purpose_benefits"}),
            parse_us_2024,
        ),
        Format(
            "us-federal-2025",
            "US Federal AI Use Case Inventory 2025",
            frozenset({"agency", "agency_name", "id", "use_case_name", "problem_solved"}),
            parse_us_2025,
        ),
        Format(
            "eu-ai-watch",
            "EU JRC AI Watch: AI in public services",
            frozenset({"name", "description", "geocoverage", "lead_organisation_name"}),
            parse_eu_ai_watch,
        ),
    )
}


def detect(header: list[str]) -> Format | None:
    """The format whose required headers the file has."""
    present = set(header)
    return next((f for f in FORMATS.values() if f.required_headers <= present), None)
