"""Receive an uploaded file into the store's upload folder, streamed and size-limited."""

from __future__ import annotations

import hashlib
import secrets
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


async def store_upload(
    upload: UploadFile | str | None,
    settings: Settings,
    *,
    field: str,
    allowed_suffixes: tuple[str, ...],
) -> StoredUpload:
    """Save ``upload`` under ``var/uploads``; refuse a missing, empty, too large or wrongly
    named file with an error naming ``field``. The caller deletes the file when done."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise Invalid("Choose a file to upload", field=field)
    name = Path(upload.filename).name
    if not name.lower().endswith(allowed_suffixes):
        raise Invalid(f"The file must end in {' or '.join(allowed_suffixes)}", field=field)
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
                raise Invalid(
                    f"The file must be smaller than {settings.max_upload_mb} MB", field=field
                )
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        path.unlink(missing_ok=True)
        raise Invalid("The selected file is empty", field=field)
    return StoredUpload(path, name, size, digest.hexdigest())
