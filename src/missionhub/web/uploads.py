"""Receive an uploaded file into the store's upload folder, streamed and size-limited."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import UploadFile

from missionhub.errors import Invalid
from missionhub.settings import Settings

CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class StoredUpload:
    path: Path
    filename: str
    size: int
    sha256: str


def _named(
    upload: UploadFile | str | None, field: str, allowed_suffixes: tuple[str, ...]
) -> tuple[UploadFile, str]:
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise Invalid("Choose a file to upload", field=field)
    name = Path(upload.filename).name
    if not name.lower().endswith(allowed_suffixes):
        raise Invalid(f"The file must end in {' or '.join(allowed_suffixes)}", field=field)
    return upload, name


def _too_large(settings: Settings, field: str) -> Invalid:
    return Invalid(f"The file must be smaller than {settings.max_upload_mb} MB", field=field)


async def store_upload(
    upload: UploadFile | str | None,
    settings: Settings,
    *,
    field: str,
    allowed_suffixes: tuple[str, ...],
) -> StoredUpload:
    """Save ``upload`` under ``var/uploads``; refuse a missing, empty, too large or wrongly
    named file with an error naming ``field``. The caller deletes the file when done."""
    upload, name = _named(upload, field, allowed_suffixes)
    folder = settings.var_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(8)}-{name}"
    digest, size, limit = hashlib.sha256(), 0, settings.max_upload_mb * 1024 * 1024
    with path.open("wb") as out:
        while chunk := await upload.read(CHUNK):
            size += len(chunk)
            if size > limit:
                out.close()
                path.unlink(missing_ok=True)
                raise _too_large(settings, field)
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        path.unlink(missing_ok=True)
        raise Invalid("The selected file is empty", field=field)
    return StoredUpload(path, name, size, digest.hexdigest())


@asynccontextmanager
async def received_file(
    upload: UploadFile | str | None,
    settings: Settings,
    *,
    field: str,
    allowed_suffixes: tuple[str, ...],
    handed_over: bool = False,
) -> AsyncIterator[StoredUpload]:
    """:func:`store_upload` for the length of a ``with`` block: the file is deleted when the
    block ends, or only when it fails if ``handed_over`` (a queued job deletes it later)."""
    stored = await store_upload(upload, settings, field=field, allowed_suffixes=allowed_suffixes)
    try:
        yield stored
    except BaseException:
        stored.path.unlink(missing_ok=True)
        raise
    if not handed_over:
        stored.path.unlink(missing_ok=True)


async def read_upload(
    upload: UploadFile | str | None,
    settings: Settings,
    *,
    field: str,
    allowed_suffixes: tuple[str, ...],
) -> tuple[str, bytes]:
    """A small upload read whole into memory: (file name, bytes). Refused with an error naming
    ``field`` when missing, empty, wrongly named or over the size limit (never truncated)."""
    upload, name = _named(upload, field, allowed_suffixes)
    limit = settings.max_upload_mb * 1024 * 1024
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise _too_large(settings, field)
        chunks.append(chunk)
    if size == 0:
        raise Invalid("The selected file is empty", field=field)
    return name, b"".join(chunks)
