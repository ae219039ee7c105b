"""What every domain's input models share: blank means absent, unknown fields are refused,
ids stay within the database's range, and text carries no NUL characters (PostgreSQL refuses
them, and no person types one)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from missionhub.db.base import MAX_ID

Id = Annotated[int, Field(gt=0, le=MAX_ID)]


def has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple | set):
        return any(has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    return False


class InputModel(BaseModel):
    """Base of validated input from forms, API bodies and files."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _clean(cls, value: object) -> object:
        if has_nul(value):
            raise ValueError("must not contain NUL characters")
        return None if isinstance(value, str) and not value.strip() else value
