"""Read OCDS releases from a file or stream with bounded memory, and check each one.

Pure: no database, no web. ``read_releases`` yields releases one at a time from a release
package, a record package (full embedded releases), JSON Lines, or a single release, and turns
every way a file can be broken (not UTF-8, malformed JSON, an invalid number, cut short) into an
:class:`OcdsFileError` naming the line. ``ReleaseChecker`` validates a release offline against the
OCDS 1.1.5 release schema and names each problem by its JSON path and the release id.
"""

from __future__ import annotations

import codecs
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import ijson
import jsonschema_rs
import numpy as np
import orjson

CHUNK = 64 * 1024
HEAD_LIMIT = 1024 * 1024
_BAD_NUMBER = re.compile(r"[:\[,]\s*-?\d+\.\d*\.|[:\[,]\s*-?\d+[eE][^\d+-]")
PACKAGE_KEYS = frozenset({"uri", "version", "publishedDate", "publisher", "license", "extensions"})
# Format problems that change no figure: reported as warnings, the release is kept (ADR 0041).
SOFT_FORMATS = frozenset({"uri", "iri", "email", "uri-reference"})


class OcdsFileError(Exception):
    """The file cannot be read as OCDS JSON; nothing from it may be written."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.message, self.line = message, line
        super().__init__(f"line {line}: {message}" if line else message)


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem with one release: where (JSON path) and what."""

    release: str
    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"release": self.release, "path": self.path, "message": self.message}


@dataclass
class Checked:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


# Reading ---------------------------------------------------------------------------------------


class _CheckedBytes:
    """Pass bytes through as UTF-8, checking (or converting from ``encoding``) as they go, and
    remember where we are so a parse error can be given a line number."""

    def __init__(self, source: IO[bytes], encoding: str, head: bytes = b"") -> None:
        self.source = source
        self.encoding = encoding
        self.utf8 = codecs.lookup(encoding).name == "utf-8"
        self.decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        self.pending = head
        self.lines_before = 0  # newlines before the current chunk
        self.recent = b""  # the last two chunks handed out, for locating errors
        self.recent_start_line = 1
        self.first = True
        self.done = False

    def read(self, size: int = -1) -> bytes:
        """The next chunk (ijson accepts chunks of any length; it probes with read(0))."""
        if size == 0:
            return b""
        raw = self.pending or (b"" if self.done else self.source.read(CHUNK))
        self.pending = b""
        if not raw:
            self.done = True
            return self._finish()
        try:
            text = self.decoder.decode(raw)
        except UnicodeDecodeError as exc:
            line = self.lines_before + raw[: exc.start].count(b"\n") + 1
            raise OcdsFileError(
                f"the file is not valid {self.encoding} (byte 0x{raw[exc.start]:02x}); "
                "Contracts Finder has served ISO-8859-1 files: say which encoding it uses "
                "(--encoding iso-8859-1)",
                line,
            ) from exc
        if self.first:
            text = text.removeprefix("\ufeff")
            self.first = False
        passthrough = self.utf8 and not raw.startswith(codecs.BOM_UTF8)
        out = raw if passthrough else text.encode()
        self._remember(out)
        return out

    def _finish(self) -> bytes:
        try:
            self.decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise OcdsFileError(
                f"the file ends inside a {self.encoding} character (cut short?)"
            ) from exc
        return b""

    def _remember(self, chunk: bytes) -> None:
        previous = self.recent[-CHUNK:] if self.recent else b""
        if len(self.recent) > CHUNK:
            self.recent_start_line += self.recent[:-CHUNK].count(b"\n")
        self.recent = previous + chunk
        self.lines_before += chunk.count(b"\n")

    def line_of(self, message: str) -> int | None:
        """The line of yajl's "(right here)" marker, found in the recent bytes."""
        lines = message.splitlines()
        marker = next((i for i, text in enumerate(lines) if "(right here)" in text), None)
        if marker is None or marker == 0 or not lines[marker - 1].strip():
            return self.lines_before + 1 if self.done else None
        context = lines[marker - 1]
        snippet = context.strip()
        offset = lines[marker].index("^") - (len(context) - len(context.lstrip()))
        pattern = re.compile(r"\s".join(re.escape(part) for part in snippet.split(" ")).encode())
        found = list(pattern.finditer(self.recent))
        if not found:
            return None
        at = found[-1].start() + max(0, offset)
        return self.recent_start_line + self.recent[:at].count(b"\n")


def _describe(exc: Exception) -> str:
    message = str(exc)
    lower = message.lower()
    if "premature eof" in lower or "incomplete json" in lower:
        return "the file ends before the JSON is complete (it was cut short or truncated)"
    if re.search(r"-?\b(NaN|Infinity)\b", message):
        return "invalid number (NaN and Infinity are not JSON numbers)"
    if "overflow" in lower or "malformed number" in lower or _BAD_NUMBER.search(message):
        return "invalid number (" + message.splitlines()[0].split(": ", 1)[-1] + ")"
    if "utf8" in lower:
        return "the file is not valid UTF-8"
    return "malformed JSON: " + message.splitlines()[0].split(": ", 1)[-1]


def _first_top_level_keys(head: bytes) -> list[str]:
    keys: list[str] = []
    try:
        for prefix, event, value in ijson.parse(io.BytesIO(head)):
            if prefix == "" and event == "map_key":
                keys.append(value)
                if value in ("releases", "records") or value not in PACKAGE_KEYS:
                    break
    except ijson.JSONError:
        pass  # the head is only the start of the file
    return keys


def read_releases(source: IO[bytes], *, encoding: str = "utf-8") -> Iterator[dict[str, Any]]:
    """Each release in ``source``, streamed. Raises :class:`OcdsFileError` for a broken file.

    A UTF-8 release package in a seekable file is read by :func:`_fast_releases` (each release's
    bytes found by a vectorised scan and parsed by orjson). Anything it does not expect (a broken
    file, an unusual layout, a value orjson and ijson could read differently) sends the whole file
    back to ijson from the start, skipping the releases already given: every error is ijson's,
    with its line number, and every release the same."""
    for _, release in read_indexed(source, encoding=encoding):
        if release is not None:
            yield release


def read_indexed(
    source: IO[bytes], *, encoding: str = "utf-8", wanted: Callable[[int], bool] | None = None
) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """``(index, release)`` for each release of ``source``, as :func:`read_releases` reads
    them, and ``(index, None)`` for those whose index is not ``wanted`` (all are by default):
    the fast reader does not parse them, so that several processes can share a file, each
    parsing its own part and still knowing where the others' parts begin and end. ijson, where
    it reads, parses them all (and so finds every error in every part)."""
    try:
        codecs.lookup(encoding)
    except LookupError as exc:
        raise OcdsFileError(f"unknown encoding {encoding!r}") from exc
    origin = _origin(source) if codecs.lookup(encoding).name == "utf-8" else None
    if origin is None:
        yield from _indexed(_read_with_ijson(source, encoding), wanted, 0)
        return
    passed = [0]  # elements passed by the fast reader, parsed or not
    try:
        yield from _fast_indexed(source, wanted, passed)
        return
    except _Unexpected:
        source.seek(origin)
    releases = _read_with_ijson(source, encoding)
    for _ in range(passed[0]):  # the same releases, passed already
        next(releases)
    yield from _indexed(releases, wanted, passed[0])


def _indexed(
    releases: Iterator[dict[str, Any]], wanted: Callable[[int], bool] | None, start: int
) -> Iterator[tuple[int, dict[str, Any] | None]]:
    for index, release in enumerate(releases, start):
        yield index, release if wanted is None or wanted(index) else None


def fast_readable(source: IO[bytes], encoding: str = "utf-8") -> bool:
    """Whether the start of ``source`` is what the fast reader reads (a UTF-8 release package
    in a seekable file, no byte order mark); the position is kept. It may still meet
    something it does not expect further on, and ijson then reads the file."""
    origin = _origin(source)
    if origin is None or codecs.lookup(encoding).name != "utf-8":
        return False
    try:
        head = _read_head(source)
    finally:
        source.seek(origin)
    return _fast_opening(head) is not None


def _read_head(source: IO[bytes]) -> bytes:
    """The start of the file, long enough to tell its shape (at most ``HEAD_LIMIT``)."""
    head = source.read(CHUNK)
    while len(head) < HEAD_LIMIT and not _decided(head):
        more = source.read(CHUNK)
        if not more:
            break
        head += more
    return head


def _fast_opening(head: bytes) -> int | None:
    """Where the fast reader starts (the ``[`` of the top-level ``releases`` array), or None
    for a file it does not read: a byte order mark, a record package, or another layout that
    ijson would not read as ``releases.item`` (see :func:`_read_with_ijson`)."""
    if head.startswith(codecs.BOM_UTF8):
        return None
    keys = _first_top_level_keys(head)
    if not keys or "records" in keys or ("releases" not in keys and keys[0] not in PACKAGE_KEYS):
        return None
    return _releases_array(head)


def _origin(source: IO[bytes]) -> int | None:
    try:
        return source.tell() if source.seekable() else None
    except (AttributeError, OSError, ValueError):
        return None


def _read_with_ijson(source: IO[bytes], encoding: str) -> Iterator[dict[str, Any]]:
    head = _read_head(source)
    if not head.strip():
        raise OcdsFileError("the file is empty")
    stream = _CheckedBytes(source, encoding, head)
    keys = _first_top_level_keys(head if encoding.replace("-", "") == "utf8" else b"")
    prefix = "records.item.releases.item" if "records" in keys else "releases.item"
    packaged = bool(keys) and ("releases" in keys or "records" in keys or keys[0] in PACKAGE_KEYS)
    try:
        if packaged:
            yield from _checked_items(ijson.items(stream, prefix, use_float=True))
        else:
            for item in ijson.items(stream, "", use_float=True, multiple_values=True):
                if isinstance(item, dict) and isinstance(item.get("releases"), list):
                    yield from _checked_items(iter(item["releases"]))
                else:
                    yield from _checked_items(iter([item]))
    except ijson.JSONError as exc:
        raise OcdsFileError(_describe(exc), stream.line_of(str(exc))) from exc


class _Unexpected(Exception):
    """Not a file the fast reader knows: read it with ijson instead."""


FAST_CHUNK = 4 * 1024 * 1024
TAIL_LIMIT = 16 * 1024 * 1024
_JSON_SPACE = b" \t\n\r"
# orjson gives a float for an integer beyond 64 bits: text with 19 digits in a row goes to ijson.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_DIGITS = b"0" * 19


def _long_digits(data: bytes) -> bool:
    return data.translate(_DIGITS_AS_ZERO).find(_LONG_DIGITS) >= 0


def _fast_releases(source: IO[bytes]) -> Iterator[dict[str, Any]]:
    """Every release of a UTF-8 release package, read by :func:`_fast_indexed`."""
    for _, release in _fast_indexed(source, None, [0]):
        if release is not None:
            yield release


def _fast_indexed(
    source: IO[bytes], wanted: Callable[[int], bool] | None, passed: list[int]
) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """The wanted releases of a UTF-8 release package: the ``releases`` array is split into its
    elements by a vectorised scan of quotes and braces, and each wanted element parsed by orjson
    (``passed[0]`` counts the elements passed, wanted or not). Raises :class:`_Unexpected`
    (before or after giving releases) for anything else: ijson then reads it. What is around the
    array is parsed too (with an empty array in its place), so a file passes only if it is valid
    JSON (an element that is not wanted is only checked to be an object)."""
    head = _read_head(source)
    opening = _fast_opening(head)
    if opening is None:
        raise _Unexpected
    before = head[:opening]
    buf = head[opening + 1 :]
    first = True
    while True:
        a = np.frombuffer(buf, np.uint8)
        quotes = np.flatnonzero(a == 34)
        after = quotes[quotes > 0]  # buf starts just after "[" or "}": never an escaped quote
        escaped = after[a[after - 1] == 92].tolist()  # after a backslash: escaped if it is odd
        if escaped:
            quotes = np.setdiff1d(quotes, [q for q in escaped if _odd_run(buf, q)])
        braces = np.flatnonzero((a == 123) | (a == 125))
        braces = braces[(np.searchsorted(quotes, braces) & 1) == 0]  # outside strings
        opens = a[braces] == 123
        depth = np.cumsum(np.where(opens, 1, -1))
        starts = braces[opens & (depth == 1)].tolist()
        ends = braces[~opens & (depth == 0)].tolist()
        long_digits = _long_digits(buf)
        at = 0
        ended = False  # the pairs ran out before the buffer did
        for start, end in zip(starts, ends, strict=False):
            if end < start or buf[at:start].strip(_JSON_SPACE) != (b"" if first else b","):
                ended = True  # past the array, or not an object in it
                break
            index = passed[0]
            first = False
            at = end + 1
            if wanted is not None and not wanted(index):
                passed[0] += 1
                yield index, None
                continue
            piece = buf[start : end + 1]
            try:
                if long_digits and _long_digits(piece):
                    item = next(ijson.items(io.BytesIO(piece), "", use_float=True))
                else:
                    item = orjson.loads(piece)
            except (orjson.JSONDecodeError, ijson.JSONError, StopIteration) as exc:
                raise _Unexpected from exc
            for checked in _checked_items(iter([item])):
                passed[0] += 1
                yield index, checked
        rest = buf[at:]
        gap = rest.lstrip(_JSON_SPACE)
        if gap.startswith(b"]"):  # the end of the array: check what surrounds it
            tail = gap[1:] + _read_at_most(source, TAIL_LIMIT)
            _check_around(before, tail)
            return
        if ended or (gap and gap[:1] not in (b",", b"{")):
            raise _Unexpected
        more = source.read(FAST_CHUNK)
        if not more:
            raise _Unexpected  # cut short: ijson names the line
        buf = rest + more


def _odd_run(buf: bytes, quote: int) -> bool:
    """Whether the quote at ``quote`` follows an odd number of backslashes (it is escaped)."""
    run = 0
    while quote - run - 1 >= 0 and buf[quote - run - 1] == 92:
        run += 1
    return run % 2 == 1


def _read_at_most(source: IO[bytes], limit: int) -> bytes:
    data = source.read(limit + 1)
    if len(data) > limit:
        raise _Unexpected
    return data


def _check_around(before: bytes, tail: bytes) -> None:
    """The file around the releases array must be valid JSON, an object, and name no other
    ``releases`` (ijson would read those too)."""
    if (before + tail).count(b'"releases"') != 1:
        raise _Unexpected
    try:
        skeleton = orjson.loads(before + b"[]" + tail)
    except orjson.JSONDecodeError as exc:
        raise _Unexpected from exc
    if not isinstance(skeleton, dict) or skeleton.get("releases") != []:
        raise _Unexpected


def _releases_array(head: bytes) -> int | None:
    """The offset of the ``[`` opening the top-level ``releases`` array, if ``head`` holds it
    (a small tokenizer: strings, escapes and nesting)."""
    depth = 0
    i, n = 0, len(head)
    last_string: tuple[int, int] | None = None
    while i < n:
        c = head[i]
        if c == 34:  # a string
            j = i + 1
            while j < n and head[j] != 34:
                j += 2 if head[j] == 92 else 1
            if j >= n:
                return None
            last_string = (i, j + 1)
            i = j + 1
            continue
        if c in (123, 91):
            if (
                c == 91
                and depth == 1
                and last_string is not None
                and head[last_string[0] : last_string[1]] == b'"releases"'
                and head[last_string[1] : i].strip(_JSON_SPACE) == b":"
                and head[: last_string[0]].rstrip(_JSON_SPACE)[-1:] in (b"{", b",")
            ):
                return i
            depth += 1
        elif c in (125, 93):
            depth -= 1
        i += 1
    return None


def _decided(head: bytes) -> bool:
    keys = _first_top_level_keys(head)
    return not keys or keys[-1] in ("releases", "records") or keys[-1] not in PACKAGE_KEYS


def _checked_items(items: Iterator[Any]) -> Iterator[dict[str, Any]]:
    for item in items:
        if not isinstance(item, dict):
            raise OcdsFileError(f"expected a release (a JSON object), found {type(item).__name__}")
        if set(item) <= {"url", "date", "tag"}:
            raise OcdsFileError(
                "the record package holds linked releases (url, date, tag), not full releases: "
                "ingest the release packages they link to"
            )
        yield item


def read_path(path: Path, *, encoding: str = "utf-8") -> Iterator[dict[str, Any]]:
    with path.open("rb") as f:
        yield from read_releases(f, encoding=encoding)


# Checking --------------------------------------------------------------------------------------


def json_path(parts: list[str | int] | tuple[str | int, ...]) -> str:
    """["awards", 0, "value"] -> "$.awards[0].value"."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def release_label(release: dict[str, Any]) -> str:
    rid, ocid = release.get("id"), release.get("ocid")
    return f"{ocid}/{rid}" if ocid and rid else str(rid or ocid or "(no id)")


@lru_cache(maxsize=4)
def _validator(schema_path: str) -> Any:
    schema = json.loads(Path(schema_path).read_text(encoding="utf-8"))
    return jsonschema_rs.validator_for(schema, validate_formats=True)


class ReleaseChecker:
    """Offline validation against the OCDS release schema (jsonschema-rs, formats on)."""

    def __init__(self, schema_path: Path) -> None:
        if not schema_path.exists():
            raise FileNotFoundError(f"OCDS release schema not found: {schema_path}")
        self.validator = _validator(str(schema_path))

    def check(self, release: dict[str, Any]) -> Checked:
        result = Checked()
        if self.validator.is_valid(release):  # most releases: no problem to name
            return result
        label = release_label(release)
        for error in self.validator.iter_errors(release):
            problem = Problem(label, json_path(list(error.instance_path)), _message(error))
            soft = (
                list(error.schema_path)[-1:] == ["format"]
                and getattr(error.kind, "format", None) in SOFT_FORMATS
            )
            (result.warnings if soft else result.errors).append(problem)
        return result


def _message(error: Any) -> str:
    return str(error.message)


def release_value(release: dict[str, Any], *keys: str) -> Any:
    """release["a"]["b"]..., or None where any step is missing or not an object."""
    value: Any = release
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value
