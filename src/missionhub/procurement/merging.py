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
    _, fields = _object(body, rules, {})
    out.update(fields)
    return {k: v for k, v in out.items() if v is not None}


def _object(
    obj: dict[str, Any], rules: dict[str, Any], kept: dict[str, Any]
) -> tuple[bool, dict[str, Any]]:
    """(whether ocdsmerge would keep anything of ``obj``, what it keeps, added to ``kept``)."""
    found = False
    for key, value in obj.items():
        node = rules.get(key)
        if node is None:
            node = _NONE
        else:
            rule = node.get(_RULE)
            if rule == "omitWhenMerged":
                continue
            if rule == "wholeListMerge":
                found = True
                if value is not None:
                    kept[key] = value
                continue
        kind = type(value)
        if kind is dict:
            if value:
                has, inner = _object(value, node, {})
                if has:
                    found = True
                    kept[key] = inner
        elif kind is list:
            if value:
                for item in value:
                    if type(item) is not dict:  # a list of values is kept whole
                        found = True
                        kept[key] = value
                        break
                else:
                    has, items = _array(value, node)
                    if has:
                        found = True
                        kept[key] = items
        else:
            found = True
            if value is not None:
                kept[key] = value
    return found, kept


def _array(items: list[dict[str, Any]], rules: dict[str, Any]) -> tuple[bool, list[Any]]:
    out: list[Any] = []
    seen: set[str] = set()
    for item in items:
        if "id" in item:
            ident = item["id"]
            key = str(ident)
            if key in seen:
                raise _Unusual
            seen.add(key)
            # ocdsmerge puts the id first
            has, inner = _object(item, rules, {} if ident is None else {"id": ident})
            if has:
                out.append(inner)
        else:
            has, inner = _object(item, rules, {})
            if has:
                out.append(inner)
    return bool(out), out
