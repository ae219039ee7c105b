"""Reading OCDS files: every format, and every way a file can be broken, named by line."""

from __future__ import annotations

import io
import json

import pytest

from missionhub.procurement.ocds import OcdsFileError, ReleaseChecker, json_path, read_releases
from tests.procurement.factories import real_package, schema_path


def releases(data: bytes, **kwargs: str) -> list[dict]:
    return list(read_releases(io.BytesIO(data), **kwargs))


def test_release_package_record_package_json_lines_and_single_release() -> None:
    a, b = {"ocid": "ocds-x-1", "id": "1"}, {"ocid": "ocds-x-2", "id": "2"}
    package = json.dumps({"uri": "u", "version": "1.1", "releases": [a, b]}).encode()
    records = json.dumps(
        {
            "version": "1.1",
            "records": [
                {"ocid": "ocds-x-1", "releases": [a]},
                {"ocid": "ocds-x-2", "releases": [b]},
            ],
        }
    )
    assert releases(package) == [a, b]
    assert releases(records.encode()) == [a, b]
    assert releases(b"\n".join(json.dumps(r).encode() for r in (a, b)) + b"\n") == [a, b]
    assert releases(json.dumps(a, indent=2).encode()) == [a]
    assert releases(b"\xef\xbb\xbf" + package) == [a, b]  # a UTF-8 byte order mark is fine


def test_real_contracts_finder_package_streams_every_release() -> None:
    expected = real_package()["releases"]
    path = schema_path().with_name("contracts_finder_2025_release_package.json")
    with path.open("rb") as f:
        assert list(read_releases(f)) == expected


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        (b'{"releases": [\n{"ocid": "a",\n "id" "1"}]}', 3, "malformed JSON"),
        (b'{"releases": [\n{"value": {"amount": NaN}}]}', 2, "invalid number"),
        (b'{"releases": [\n\n{"value": {"amount": 1e999}}]}', 3, "invalid number"),
        (b'{"releases": [\n{"value": {"amount": 1.2.3}}]}', 2, "invalid number"),
        (b'{"releases": [\n{"value": {"amount": -}}]}', 2, "invalid number"),
        (b'{"releases": [\n{"ocid": "a", "id": "1"},\n{"ocid": "b", "id"', 3, "cut short"),
        ('{"releases": [\n{"title": "Caf\xe9 \xa3"}]}'.encode("latin-1"), 2, "not valid utf-8"),
    ],
    ids=["malformed", "nan", "overflow", "two-points", "bare-minus", "truncated", "latin-1"],
)
def test_a_broken_file_is_an_error_that_names_the_line(data: bytes, line: int, words: str) -> None:
    with pytest.raises(OcdsFileError) as caught:
        releases(data)
    assert caught.value.line == line
    assert words in str(caught.value)


def test_an_iso_8859_1_file_reads_when_its_encoding_is_given() -> None:
    data = '{"releases": [{"ocid": "a", "id": "1", "title": "Caf\xe9 \xa35"}]}'.encode("latin-1")
    assert releases(data, encoding="iso-8859-1")[0]["title"] == "Caf\xe9 \xa35"


def test_empty_files_arrays_and_linked_releases_are_refused() -> None:
    for data, words in [
        (b"  \n", "empty"),
        (b"[1, 2]", "expected a release"),
        (
            b'{"records": [{"ocid": "a", "releases": [{"url": "u", "date": "d", "tag": ["t"]}]}]}',
            "linked releases",
        ),
    ]:
        with pytest.raises(OcdsFileError, match=words):
            releases(data)


def test_checker_names_the_json_path_and_release_and_keeps_uri_format_as_a_warning() -> None:
    release = real_package()["releases"][0]
    broken = json.loads(json.dumps(release))
    broken["tender"]["value"]["amount"] = "1,000"
    broken["tender"]["items"][0]["quantity"] = "many"
    del broken["date"]
    checked = ReleaseChecker(schema_path()).check(broken)
    paths = {p.path for p in checked.errors}
    assert paths == {"$", "$.tender.value.amount", "$.tender.items[0].quantity"}
    assert all(p.release == f"{release['ocid']}/{release['id']}" for p in checked.errors)
    warned = [
        r for r in real_package()["releases"] if ReleaseChecker(schema_path()).check(r).warnings
    ]
    assert len(warned) == 2  # two real releases carry the URL "http://Contract Finder"
    assert all(
        not ReleaseChecker(schema_path()).check(r).errors for r in real_package()["releases"]
    )


def test_json_path() -> None:
    assert json_path(["awards", 0, "suppliers", 2, "id"]) == "$.awards[0].suppliers[2].id"
