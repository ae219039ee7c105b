"""Award rules over compiled releases: which suppliers an award names now, and who was removed."""

from __future__ import annotations

import pytest

from missionhub.procurement import awards, merging
from tests.procurement.factories import real_package, schema_path


@pytest.mark.parametrize(
    "name",
    [
        "contracts_finder_2025_release_package.json",
        "contracts_finder_2017_2020_legacy_release_package.json",
    ],
)
def test_awards_of_one_release_need_no_amendment_history(name: str) -> None:
    """A process of one release whose award ids are unique skips the amendment history (who
    was named before, who was removed): the awards are those the history gives, which it
    computes when the same release is given twice."""
    checked = 0
    for release in real_package(name)["releases"]:
        compiled, _ = merging.compile_process([release], schema_path())
        alone = awards.awards(compiled, [release])
        assert alone == awards.awards(compiled, [release, release]), release["id"]
        checked += bool(alone)
    assert checked > 50


def test_one_release_naming_an_award_twice_keeps_its_history() -> None:
    """ocdsmerge merges two awards with one id; the later one says who is on it now."""
    release = {
        "ocid": "ocds-x-1", "id": "r1", "date": "2025-01-01T00:00:00Z", "tag": ["award"],
        "parties": [{"id": "A", "name": "A Ltd", "roles": ["supplier"]},
                    {"id": "B", "name": "B Ltd", "roles": ["supplier"]}],
        "awards": [{"id": "1", "suppliers": [{"id": "A", "name": "A Ltd"}]},
                   {"id": "1", "suppliers": [{"id": "B", "name": "B Ltd"}]}],
    }  # fmt: skip
    compiled, _ = merging.compile_process([release], schema_path())
    (award,) = awards.awards(compiled, [release])
    assert [(s.party["name"], s.removed) for s in award.suppliers] == [
        ("B Ltd", False),
        ("A Ltd", True),
    ]
