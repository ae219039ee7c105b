"""Errors that service functions raise; the web and CLI edges translate them for people."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError


class ServiceError(Exception):
    """Base of the errors a user can cause and be told about."""


class NotFound(ServiceError):
    """The record does not exist, or the actor may not know that it does."""


class PermissionDenied(ServiceError):
    """The actor may see the record but may not do this to it."""


class Conflict(ServiceError):
    """The request clashes with the record's current state (e.g. a stage change already pending)."""


@dataclass(frozen=True, slots=True)
class FieldError:
    """What is wrong and where: a field name (dotted path), or a file's row or line."""

    field: str
    message: str


def row_error(row: int, message: str, column: str | None = None, source: str = "row") -> FieldError:
    """A problem in a file, named by its row (or line) and column: "row 12, column amount"."""
    where = f"{source} {row}" + (f", column {column}" if column else "")
    return FieldError(where, message)


class Invalid(ServiceError):
    """Input broke a rule. Carries every problem found, each naming its field or row."""

    def __init__(self, errors: list[FieldError] | FieldError | str, field: str = "") -> None:
        if isinstance(errors, str):
            errors = [FieldError(field, errors)]
        elif isinstance(errors, FieldError):
            errors = [errors]
        self.errors = errors
        super().__init__(
            "; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in errors)
        )

    @classmethod
    def from_pydantic(cls, exc: ValidationError, prefix: str = "") -> Invalid:
        return cls([FieldError(prefix + _loc(err["loc"]), _msg(err)) for err in exc.errors()])


def _loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _msg(err: object) -> str:
    message = str(err["msg"])  # type: ignore[index]
    return message.removeprefix("Value error, ")
