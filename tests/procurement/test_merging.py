"""The single-release fast path gives exactly ocdsmerge's compiled release (the reference)."""

from __future__ import annotations

import warnings
from typing import Any

import ocdsmerge.exceptions
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from missionhub.procurement import merging
from tests.procurement.factories import real_package, schema_path


def reference(release: dict[str, Any]) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return merging.merger_for(str(schema_path())).create_compiled_release([release])


@pytest.mark.parametrize(
    "name",
    [
        "contracts_finder_2025_release_package.json",
        "contracts_finder_2017_2020_legacy_release_package.json",
    ],
)
def test_fast_path_equals_ocdsmerge_on_every_real_release(name: str) -> None:
    for release in real_package(name)["releases"]:
        compiled, _ = merging.compile_process([release], schema_path())
        assert compiled == reference(release), release["id"]


def test_duplicate_ids_go_to_ocdsmerge_with_its_warning() -> None:
    release = {
        "ocid": "ocds-x-1",
        "id": "r1",
        "date": "2025-01-01T00:00:00Z",
        "tag": ["award"],
        "parties": [{"id": "p", "name": "A"}, {"id": "p", "name": "B", "roles": ["supplier"]}],
    }
    compiled, said = merging.compile_process([release], schema_path())
    assert compiled == reference(release)
    assert any("Multiple objects" in s for s in said)


def test_several_releases_are_merged_by_ocdsmerge() -> None:
    first = {
        "ocid": "ocds-x-1",
        "id": "1",
        "date": "2025-01-01T00:00:00Z",
        "tag": ["tender"],
        "tender": {"id": "t", "title": "Old"},
    }
    second = {
        "ocid": "ocds-x-1",
        "id": "2",
        "date": "2025-02-01T00:00:00Z",
        "tag": ["tenderUpdate"],
        "tender": {"id": "t", "title": "New"},
    }
    compiled, _ = merging.compile_process([first, second], schema_path())
    assert compiled["tender"]["title"] == "New"
    assert compiled["id"] == "ocds-x-1-2025-02-01T00:00:00Z"


scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text("ab", max_size=2))
keys = st.sampled_from(["title", "amount", "scale", "roles", "details", "value", "x"])
ids = st.one_of(st.none(), st.text("ab", min_size=1, max_size=2), st.integers(0, 3))


def objects(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects, some with an ``id`` (a string or number, as OCDS ids are)."""
    return st.builds(
        lambda fields, ident: {**ident, **fields},
        st.dictionaries(keys, inner, max_size=3),
        st.fixed_dictionaries({}, optional={"id": ids}),
    )


values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), objects(inner), st.lists(objects(inner), max_size=3)
    ),
    max_leaves=12,
)
top = st.fixed_dictionaries(
    {"ocid": st.just("ocds-x-1"), "id": st.just("r"), "date": st.just("2025-01-01T00:00:00Z")},
    optional={
        "tag": st.just(["award"]),
        "parties": st.lists(objects(values), max_size=3),
        "awards": st.lists(objects(values), max_size=3),
        "tender": objects(values),
        "planning": values,
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(top)
def test_fast_path_equals_ocdsmerge_on_generated_releases(release: dict[str, Any]) -> None:
    try:
        expected = reference(release)
    except ocdsmerge.exceptions.OCDSMergeError as exc:  # ocdsmerge refuses: so do we
        with pytest.raises(type(exc)):
            merging.compile_process([release], schema_path())
        return
    compiled, _ = merging.compile_process([release], schema_path())
    assert compiled == expected


def reference_of_several(releases: list[dict[str, Any]]) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return merging.merger_for(str(schema_path())).create_compiled_release(releases)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(top, min_size=2, max_size=3),
    st.lists(st.sampled_from(["2025-01-01", "2025-02-01", "2025-03-01"]), min_size=3, max_size=3),
)
def test_several_releases_fast_path_equals_ocdsmerge_on_generated_releases(
    releases: list[dict[str, Any]], dates: list[str]
) -> None:
    releases = [{**r, "id": f"r{i}", "date": dates[i]} for i, r in enumerate(releases)]
    try:
        expected = reference_of_several(releases)
    except ocdsmerge.exceptions.OCDSMergeError as exc:  # ocdsmerge refuses: so do we
        with pytest.raises(type(exc)):
            merging.compile_process(releases, schema_path())
        return
    compiled, _ = merging.compile_process(releases, schema_path())
    assert orjson.dumps(compiled) == orjson.dumps(expected)  # the same, in the same order


def test_several_real_releases_of_a_process_compile_as_ocdsmerge_does() -> None:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for release in real_package()["releases"]:
        grouped.setdefault(release["ocid"], []).append(release)
    several = [releases for releases in grouped.values() if len(releases) > 1]
    assert several
    rules = merging._rule_tree(str(schema_path()))
    for releases in several:
        expected = reference_of_several(releases)
        assert orjson.dumps(merging.compile_many(releases, rules)) == orjson.dumps(expected)


def tidy_reference(release: dict[str, Any]) -> bytes:
    """ocdsmerge's compiled release as JSON, key order included."""
    return orjson.dumps(reference(release))


@pytest.mark.parametrize(
    "name",
    [
        "contracts_finder_2025_release_package.json",
        "contracts_finder_2017_2020_legacy_release_package.json",
    ],
)
def test_the_tidy_path_gives_ocdsmerges_json_on_every_real_release(name: str) -> None:
    """Releases without null, {} or [] (199 of the 200 of 2025) take the quickest path; the
    JSON, key order included, is ocdsmerge's. The others take the longer path, also exact."""
    tidy = 0
    for release in real_package(name)["releases"]:
        raw = orjson.dumps(release)
        tidy += merging.is_tidy(raw)
        try:
            compiled, _ = merging.compile_process([release], schema_path(), raw=raw)
        except ocdsmerge.exceptions.OCDSMergeError:
            continue
        assert orjson.dumps(compiled) == tidy_reference(release), release["id"]
    assert tidy == (199 if "2025" in name else 0)


def tidy_objects(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Non-empty objects, some with an id (not always first), none null."""
    return st.builds(
        lambda fields, ident, first: {**ident, **fields} if first else {**fields, **ident},
        st.dictionaries(keys, inner, min_size=1, max_size=3),
        st.fixed_dictionaries(
            {}, optional={"id": st.one_of(st.text("ab", min_size=1, max_size=2), st.integers(0, 3))}
        ),
        st.booleans(),
    )


tidy_values = st.recursive(
    st.one_of(st.booleans(), st.integers(-5, 5), st.text("ab", min_size=1, max_size=2)),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3),
        tidy_objects(inner),
        st.lists(tidy_objects(inner), min_size=1, max_size=3),
    ),
    max_leaves=12,
)
tidy_top = st.fixed_dictionaries(
    {"ocid": st.just("ocds-x-1"), "id": st.just("r"), "date": st.just("2025-01-01T00:00:00Z")},
    optional={
        "tag": st.just(["award"]),
        "parties": st.lists(tidy_objects(tidy_values), min_size=1, max_size=3),
        "awards": st.lists(tidy_objects(tidy_values), min_size=1, max_size=3),
        "tender": tidy_objects(tidy_values),
        "planning": tidy_values,
    },
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(tidy_top, top))
def test_the_tidy_path_gives_ocdsmerges_json_on_generated_releases(
    release: dict[str, Any],
) -> None:
    """Releases with nested ids out of place, repeated ids, lists of values and of objects;
    the tidy ones (no null, {} or []) take the quickest path."""
    raw = orjson.dumps(release)
    try:
        expected = tidy_reference(release)
    except ocdsmerge.exceptions.OCDSMergeError as exc:
        with pytest.raises(type(exc)):
            merging.compile_process([release], schema_path(), raw=raw)
        return
    compiled, _ = merging.compile_process([release], schema_path(), raw=raw)
    assert orjson.dumps(compiled) == expected
