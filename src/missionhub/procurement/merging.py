"""Compile contracting processes: ocdsmerge's result, with fast paths checked against it.

A process with a single release (most of them in Contracts Finder data) needs no merging, only
what ocdsmerge does to one release: drop ``omitWhenMerged`` fields and nulls, drop empty objects
and arrays, key arrays of objects by ``id``, and set the compiled ``tag``, ``id``, ``date`` and
``ocid``. ``compile_one`` does exactly that in one pass. A process of several releases is merged
by ``compile_many`` as nested objects rather than ocdsmerge's flattened paths. Anything unusual
(two objects with the same ``id`` in an array, a field that is a value in one release and an
object in another, ...) goes to ocdsmerge. The tests check both give ocdsmerge's result on every
real process and on generated ones. See docs/decisions/0043-single-release-fast-path.md and
docs/decisions/0046-ingest-speed.md.
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


@lru_cache(maxsize=2)
def _omits_only_at_the_top(schema_path: str) -> bool:
    """Whether every ``omitWhenMerged`` rule is of a top-level field (so in OCDS 1.1.5)."""
    rules = merger_for(schema_path).merge_rules.items()
    return all(len(path) == 1 for path, rule in rules if rule == "omitWhenMerged")


def compile_process(
    releases: list[dict[str, Any]], schema_path: Path, *, raw: bytes | None = None
) -> tuple[dict[str, Any], list[str]]:
    """The compiled release of one process, and ocdsmerge's warnings about it. ``raw``: the
    JSON of a process's one release, where the caller has it (see :func:`is_tidy`)."""
    try:
        if len(releases) == 1:
            path = str(schema_path)
            tidy = raw is not None and is_tidy(raw) and _omits_only_at_the_top(path)
            return compile_one(releases[0], _rule_tree(path), tidy=tidy), []
        return compile_many(releases, _rule_tree(str(schema_path))), []
    except _Unusual:
        pass
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compiled: dict[str, Any] = merger_for(str(schema_path)).create_compiled_release(releases)
    return compiled, [str(w.message) for w in caught]


def compile_one(
    release: dict[str, Any], rules: dict[str, Any], tidy: bool = False
) -> dict[str, Any]:
    """ocdsmerge's compiled release of a process that has only ``release``. ``tidy``: the
    release holds no null and no empty object or array (see :func:`is_tidy`), and every
    ``omitWhenMerged`` field is at the top level."""
    ocid, date = release.get("ocid"), release.get("date")
    out: dict[str, Any] = {"tag": ["compiled"], "id": f"{ocid}-{date}", "date": date, "ocid": ocid}
    if tidy:
        for key, value in release.items():
            node = rules.get(key, _NONE)
            rule = node.get(_RULE) if node is not _NONE else None
            if rule == "omitWhenMerged":
                continue
            kind = type(value)
            tidied = kind is dict or kind is list
            out[key] = _tidied(value, node) if tidied and rule != "wholeListMerge" else value
    else:
        body = {k: v for k, v in release.items() if k != "tag"}
        _, fields = _object(body, rules, {})
        out.update(fields)
    return {k: v for k, v in out.items() if v is not None}


def is_tidy(raw: bytes) -> bool:
    """Whether compact JSON (orjson's) holds no null and no empty object or array: then
    compiling drops nothing below the top level. Text that merely contains ``null`` or ``[]``
    says no, and the release takes the longer path: never wrong, only slower."""
    return b"null" not in raw and b"{}" not in raw and b"[]" not in raw


def _tidied(value: dict[str, Any] | list[Any], rules: dict[str, Any]) -> Any:
    """What ocdsmerge keeps of an object or array that holds no null and no empty object or
    array: everything, with the ``id`` of each object in an array of objects moved first. The
    value itself where nothing moves (the compiled release shares it with the release)."""
    if isinstance(value, list):
        if type(value[0]) is dict and len(set(map(type, value))) == 1:
            return _tidied_array(value, rules)
        return value  # a list of values, kept whole
    changed: dict[str, Any] | None = None
    for key, child in value.items():
        kind = type(child)
        if kind is not dict and kind is not list:
            continue
        node = rules.get(key, _NONE)
        if node is not _NONE and node.get(_RULE) == "wholeListMerge":
            continue
        new = _tidied(child, node)
        if new is not child:
            if changed is None:
                changed = dict(value)
            changed[key] = new
    return value if changed is None else changed


def _tidied_array(items: list[dict[str, Any]], rules: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] | None = None
    seen: set[str] = set()
    for index, item in enumerate(items):
        new = _tidied(item, rules)
        if "id" in item:
            key = str(item["id"])
            if key in seen:
                raise _Unusual  # ocdsmerge merges the two and warns
            seen.add(key)
            if next(iter(item)) != "id":  # ocdsmerge puts the id first
                new = {"id": item["id"], **new}
        if new is not item:
            if out is None:
                out = list(items)
            out[index] = new
    return items if out is None else out


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


# Several releases -------------------------------------------------------------------------------


class _Obj(dict[str, Any]):
    """An object being merged (a plain dict in the merged tree is a value kept whole)."""


class _Arr(dict[object, Any]):
    """An array of objects being merged, by the string of each object's ``id`` (an object
    without an ``id`` is always a new one, under a key of its own)."""


def compile_many(releases: list[dict[str, Any]], rules: dict[str, Any]) -> dict[str, Any]:
    """ocdsmerge's compiled release of ``releases``, merged as nested objects rather than
    flattened paths. Anything where ocdsmerge's result depends on its flattening (a field that is
    a value in one release and an object or array in another, an array object without an ``id``
    or with a null one, two objects with the same ``id`` in one array, ids of different types, a
    release without a string date) is left to ocdsmerge."""
    if not all(isinstance(r.get("date"), str) for r in releases):
        raise _Unusual
    root = _Obj(tag=["compiled"])
    for release in sorted(releases, key=lambda r: r["date"]):
        ocid, date = release.get("ocid"), release["date"]
        root["id"] = f"{ocid}-{date}"
        root["date"] = date
        root["ocid"] = ocid
        _merge_object(root, release, rules)
    return _plain(root)


def _merge_object(node: _Obj, obj: dict[str, Any], rules: dict[str, Any]) -> bool:
    """Merge ``obj`` into ``node``; whether anything was written."""
    wrote = False
    for key, value in obj.items():
        child = rules.get(key)
        rule = None
        if child is None:
            child = _NONE
        else:
            rule = child.get(_RULE)
            if rule == "omitWhenMerged":
                continue
        kind = type(value)
        if (
            rule == "wholeListMerge"
            or (kind is not dict and kind is not list)
            or (kind is list and any(type(item) is not dict for item in value))
        ):
            if type(node.get(key)) in (_Obj, _Arr):
                raise _Unusual  # a value where an earlier release had an object or array
            node[key] = value
            wrote = True
        elif value:
            existing = node.get(key)
            if kind is dict:
                if existing is None and key not in node:
                    inner = _Obj()
                    if _merge_object(inner, value, child):
                        node[key] = inner
                        wrote = True
                elif type(existing) is _Obj:
                    wrote = _merge_object(existing, value, child) or wrote
                else:
                    raise _Unusual
            else:
                if existing is None and key not in node:
                    items = _Arr()
                    if _merge_array(items, value, child):
                        node[key] = items
                        wrote = True
                elif type(existing) is _Arr:
                    wrote = _merge_array(existing, value, child) or wrote
                else:
                    raise _Unusual
    return wrote


def _merge_array(node: _Arr, items: list[dict[str, Any]], rules: dict[str, Any]) -> bool:
    seen: set[str] = set()
    for item in items:
        if "id" not in item:  # a new object every time, as in ocdsmerge
            inner = _Obj()
            if _merge_object(inner, item, rules):
                node[object()] = inner
            continue
        ident = item["id"]
        if type(ident) is not str and type(ident) is not int:
            raise _Unusual  # a null id, or an id that is neither a string nor an integer
        key = str(ident)
        if key in seen:
            raise _Unusual
        seen.add(key)
        existing = node.get(key)
        if existing is None:
            node[key] = inner = _Obj(id=ident)
        elif type(existing.get("id")) is not type(ident):
            raise _Unusual
        else:
            inner = existing
        _merge_object(inner, item, rules)
    return bool(node)


def _plain(node: _Obj) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in node.items():
        kind = type(value)
        if kind is _Obj:
            out[key] = _plain(value)
        elif kind is _Arr:
            out[key] = [_plain(item) for item in value.values()]
        elif value is not None:
            out[key] = value
    return out
