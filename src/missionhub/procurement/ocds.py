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
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import ijson
import jsonschema_rs

CHUNK = 64 * 1024
HEAD_LIMIT = 1024 * 1024
_BAD_NUMBER = re.compile(r"[:\[,]\s*-?\d+\.\d*\.|[:\[,]\s*-?\d+[eE][^\d+-]")
PACKAGE_KEYS = frozenset({"uri", "version", "publishedDate", "publisher", "license", "extensions"})
# Format problems that change no figure: reported as warnings, the release is kept (ADR 0041).
SOFT_FORMATS = frozenset({"uri", "iri", "email", "uri-reference"})


class OcdsFileError(Exception):
    """The file cannot be read as OCDS JSON; nothing from it may be written."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
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
    """Each release in ``source``, streamed. Raises :class:`OcdsFileError` for a broken file."""
    try:
        codecs.lookup(encoding)
    except LookupError as exc:
        raise OcdsFileError(f"unknown encoding {encoding!r}") from exc
    head = source.read(CHUNK)
    while len(head) < HEAD_LIMIT and not _decided(head):
        more = source.read(CHUNK)
        if not more:
            break
        head += more
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
