"""File downloads from pages and the API."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi.responses import Response

from missionhub.csvout import csv_text


def csv_download(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[str], filename: str | None = None
) -> Response:
    """A CSV response (cells safe for spreadsheets); an attachment when ``filename`` is given."""
    headers = {"content-disposition": f'attachment; filename="{filename}"'} if filename else None
    return Response(csv_text(rows, columns), media_type="text/csv; charset=utf-8", headers=headers)
