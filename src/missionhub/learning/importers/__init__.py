"""Importers for public AI inventories: parse a file, report bad rows with file and line,
store the good ones with their provenance, idempotently (see learning.records)."""

from missionhub.learning.importers.common import ImportReport, RecordIn, Skipped
from missionhub.learning.importers.formats import FORMATS, Format, detect

__all__ = ["FORMATS", "Format", "ImportReport", "RecordIn", "Skipped", "detect"]
