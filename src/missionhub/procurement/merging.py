"""Compile contracting processes: ocdsmerge, with a fast path for a process of one release.

A process with several releases is compiled by ocdsmerge. A process with a single release
(most of them in Contracts Finder data) needs no merging, only what ocdsmerge does to one
release: drop ``omitWhenMerged`` fields and nulls, drop empty objects and arrays, key arrays of
objects by ``id``, and set the compiled ``tag``, ``id``, ``date`` and ``ocid``. ``compile_one``
does exactly that in one pass, about ten times faster; the tests check it gives ocdsmerge's
result on every real release, and on generated ones. Anything unusual (two objects with the same
``id`` in an array) goes to ocdsmerge. See docs/decisions/0043-single-release-fast-path.md.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
from ocdsmerge import Merger

_RULE = "\x00rule"
_NONE: dict[str, Any] = {}
_CONTAINERS = (dict, list)


class _Unusual(Exception):
    """Leave this release to ocdsmerge."""


@lru_cache(maxsize=2)
def merger_for(schema_path: str) -> Merger:
    """An ocdsmerge Merger with the rules of the local schema (never downloads the standard)."""
    return Merger(orjson.loads(Path(schema_path).read_bytes()))


@lru_cache(maxsize=2)
def _rule_tree(schema_path: str) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path, rule in merger_for(schema_path).merge_rules.items():
        node = tree
        for part in path:
            node = node.setdefault(part, {})
        node[_RULE] = rule
    return tree


def compile_process(
    releases: list[dict[str, Any]], schema_path: Path
) -> tuple[dict[str, Any], list[str]]:
    """The compiled release of one process, and ocdsmerge's warnings about it."""
    if len(releases) == 1:
        try:
            return compile_one(releases[0], _rule_tree(str(schema_path))), []
        except _Unusual:
            pass
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compiled: dict[str, Any] = merger_for(str(schema_path)).create_compiled_release(releases)
    return compiled, [str(w.message) for w in caught]


def compile_one(release: dict[str, Any], rules: dict[str, Any]) -> dict[str, Any]:
    """ocdsmerge's compiled release of a process that has only ``release``."""
    ocid, date = release.get("ocid"), release.get("date")
    out: dict[str, Any] = {"tag": ["compiled"], "id": f"{ocid}-{date}", "date": date, "ocid": ocid}
    body = {k: v for k, v in release.items() if k != "tag"}
    _, fields = _object(body, rules)
    out.update(fields)
    return {k: v for k, v in out.items() if v is not None}


def _object(obj: dict[str, Any], rules: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
    """(whether ocdsmerge would keep anything of ``obj``, what it keeps)."""
    kept: dict[str, Any] = {}
    found = False
    for key, value in obj.items():
        node = rules.get(key, _NONE)
        rule = node.get(_RULE) if node else None
        if rule == "omitWhenMerged":
            continue
        if (
            not isinstance(value, _CONTAINERS)
            or rule == "wholeListMerge"
            or (type(value) is list and not all(type(item) is dict for item in value))
        ):
            found = True
            if value is not None:
                kept[key] = value
        elif value:
            has, inner = _array(value, node) if isinstance(value, list) else _object(value, node)
            if has:
                found = True
                kept[key] = inner
    return found, kept


def _array(items: list[dict[str, Any]], rules: dict[str, Any]) -> tuple[bool, list[Any]]:
    out: list[Any] = []
    seen: set[str] = set()
    for item in items:
        if "id" in item:
            key = str(item["id"])
            if key in seen:
                raise _Unusual
            seen.add(key)
        has, inner = _object(item, rules)
        if has:
            if "id" in item:  # ocdsmerge puts the id first
                inner = {"id": item["id"], **inner} if item["id"] is not None else inner
            out.append(inner)
    return bool(out), out
