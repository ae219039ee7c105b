"""Reading OCDS files: every format, and every way a file can be broken, named by line."""

from __future__ import annotations

import codecs
import gzip
import io
import json
from typing import Any

import pytest

from missionhub.procurement import ocds
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


TRICKY = [
    {"ocid": "ocds-x-1", "id": "1", "title": 'braces } { ] [ and "quotes" inside', "n": 12},
    {"ocid": "ocds-x-2", "id": "2", "title": "ends in a backslash \\", "v": [1.5, -0.0, 1e-400]},
    {"ocid": "ocds-x-3", "id": "3", "title": 'two \\\\" then a quote', "big": 999999999999999999},
    {
        "ocid": "ocds-x-4",
        "id": "4",
        "title": "caf\u00e9 \u2014 \U0001f600",
        "x": {"y": [{"z": []}]},
    },
    {"ocid": "ocds-x-5", "id": "5", "ref": "12345678901234567890123", "neg": -1.5e300},
]


def ijson_releases(data: bytes) -> list[dict]:
    return list(ocds._read_with_ijson(io.BytesIO(data), "utf-8"))


@pytest.mark.parametrize("chunk", [1, 7, 64, 4 * 1024 * 1024])
def test_the_fast_reader_gives_ijsons_releases(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocds, "FAST_CHUNK", chunk)
    for package in [
        {"uri": "u", "releases": TRICKY, "publisher": {"name": "p"}, "extensions": ["e"]},
        {"version": "1.1", "publicationPolicy": "p", "releases": []},
        {"releases": TRICKY[:1]},
    ]:
        for text in (json.dumps(package), json.dumps(package, indent=2, ensure_ascii=False)):
            data = text.encode()
            expected = ijson_releases(data)
            assert list(ocds._fast_releases(io.BytesIO(data))) == expected  # no fallback
            assert releases(data) == expected
    assert type(releases(json.dumps({"releases": TRICKY}).encode())[2]["big"]) is int


@pytest.mark.parametrize(
    "data",
    [
        b'{"releases": [{"id": "1"}, 5, {"id": "2"}]}',
        b'{"releases": [{"id": "1"}], "releases": [{"id": "2"}]}',
        b'{"releases": [{"id": "1"},, {"id": "2"}]}',
        b'{"releases": [{"id": "1"} {"id": "2"}]}',
        b'{"releases": [{"id": "1"},]}',
        b'{"releases": [{"id": "1"}], "uri": }',
        b'{"releases": [{"id": "1"}, {"id": "2"}',
        b'{"releases": [{"id": "1"}, {"a": "\\ud800"}]}',
        b'{"releases": [{"id": "1"}, {"a": 1e999}]}',
        b'{"releases": [{"id": "1"}, {"a": 18446744073709551615}]}',
        b'{"releases": [{"id": "1"}, {"a": -9223372036854775809}]}',
        b'{"releases": [{"id": "1"}, {"a": 9223372036854775807, "b": 0.12345678901234567890}]}',
        b'{"releases": [{"id": "1"},\x0c{"id": "2"}]}',
        b'{"releases": [{"id": "1"}]} {"releases": [{"id": "2"}]}',
    ],
)
def test_what_the_fast_reader_does_not_expect_is_read_by_ijson(data: bytes) -> None:
    try:
        expected: list[dict] | str = ijson_releases(data)
    except OcdsFileError as exc:
        expected = f"{exc.line}: {exc}"
    try:
        got: list[dict] | str = releases(data)
    except OcdsFileError as exc:
        got = f"{exc.line}: {exc}"
    assert got == expected


def test_a_stream_that_cannot_seek_is_read_by_ijson() -> None:
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            chunk = self.data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    data = json.dumps({"releases": TRICKY}).encode()
    assert list(read_releases(io.BufferedReader(Pipe(data)))) == ijson_releases(data)


@pytest.mark.parametrize(
    ("data", "fast"),
    [
        (json.dumps({"uri": "u", "releases": TRICKY}).encode(), True),
        (json.dumps({"records": [{"releases": TRICKY}]}).encode(), False),
        (b"\n".join(json.dumps(r).encode() for r in TRICKY), False),
        (codecs.BOM_UTF8 + json.dumps({"releases": TRICKY}).encode(), False),
    ],
)
def test_fast_readable_says_which_files_the_fast_reader_reads(data: bytes, fast: bool) -> None:
    source = io.BytesIO(b"xx" + data)
    source.seek(2)
    assert ocds.fast_readable(source) is fast
    assert source.tell() == 2  # where it was
    assert ocds.fast_readable(io.BytesIO(data), "iso-8859-1") is False


def test_workers_share_a_file_only_where_the_fast_reader_reads_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """Where ijson reads, every worker would parse the whole file: one worker only."""
    from missionhub.procurement import workers

    monkeypatch.setattr(workers, "WORKER_MIN_BYTES", 0)
    monkeypatch.setattr(workers.os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    package, lines = tmp_path / "package.json", tmp_path / "lines.jsonl"
    package.write_bytes(json.dumps({"releases": TRICKY}).encode())
    lines.write_bytes(b"\n".join(json.dumps(r).encode() for r in TRICKY))
    with package.open("rb") as f:
        assert workers.workers_for(f) == 3
    with lines.open("rb") as f:
        assert workers.workers_for(f) == 1
    with gzip.open(tmp_path / "package.json.gz", "wb") as out:
        out.write(package.read_bytes())
    with gzip.open(tmp_path / "package.json.gz", "rb") as f, package.open("rb") as plain:
        assert workers._own_reader(f) is f  # its fileno is the compressed file's
        assert workers._own_reader(plain) is not plain
