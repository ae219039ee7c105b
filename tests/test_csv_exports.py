"""Exports open safely in a spreadsheet: text that a spreadsheet would run as a formula is
written with a leading apostrophe; numbers, negative ones included, are left alone."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from missionhub.accounts.permissions import Visibility
from missionhub.csvout import csv_text, safe_cell
from tests.factories import World


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (
            '=HYPERLINK("https://evil.example","Click")',
            '\'=HYPERLINK("https://evil.example","Click")',
        ),
        ("+44 20 7946 0000 call me", "'+44 20 7946 0000 call me"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("-5000.25", "-5000.25"),
        ("+12", "+12"),
        ("1e-3", "1e-3"),
        ("Court attendance support", "Court attendance support"),
        (-12.5, -12.5),
        (None, None),
    ],
)
def test_safe_cell(value: object, written: object) -> None:
    assert safe_cell(value) == written


def test_csv_text_keeps_columns_and_order() -> None:
    text = csv_text([{"b": "=1", "a": 2}], ["a", "b"])
    assert list(csv.reader(io.StringIO(text))) == [["a", "b"], ["2", "'=1"]]
    assert csv_text([], []) == ""


def test_a_formula_in_a_project_title_is_defused_in_the_projects_export(
    client: TestClient, world: World
) -> None:
    owner = world.member(world.department())
    world.project(owner, title='=HYPERLINK("https://evil.example","Open")',
                  visibility=Visibility.PUBLISHED)  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(client.get("/projects.csv").text)))
    titles = [r["title"] for r in rows]
    assert '\'=HYPERLINK("https://evil.example","Open")' in titles
