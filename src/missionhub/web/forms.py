"""Turn an HTML form into a validated model, or into GOV.UK-style errors keyed by field.

GOV.UK date inputs arrive as ``<name>-day``, ``<name>-month`` and ``<name>-year``; they are
combined into one ISO date before validation.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from missionhub.errors import FieldError, Invalid

M = TypeVar("M", bound=BaseModel)
_DATE_PARTS = ("day", "month", "year")


@dataclass
class FormResult:
    """What the user sent (to re-fill the form) and what was wrong with it."""

    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def error_list(self) -> list[dict[str, str]]:
        """For the govukErrorSummary macro."""
        return [
            {"text": msg, "href": f"#{anchor(name, self.values)}"}
            for name, msg in self.errors.items()
        ]

    def add(self, problems: Invalid | list[FieldError]) -> None:
        for problem in problems.errors if isinstance(problems, Invalid) else problems:
            self.errors.setdefault(problem.field or "form", problem.message)


def anchor(name: str, values: dict[str, Any]) -> str:
    """The id of the input to focus for a field (the day box for a date)."""
    return f"{name}-day" if f"{name}-day" in values else name


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    return origin is list or any(typing.get_origin(a) is list for a in typing.get_args(annotation))


def form_values(form: FormData, model: type[BaseModel]) -> dict[str, Any]:
    """The submitted values: lists for list fields, combined dates, the rest as strings."""
    values: dict[str, Any] = {}
    for key in form:
        items = [v for v in form.getlist(key) if isinstance(v, str)]
        info = model.model_fields.get(key)
        values[key] = (
            items
            if info is not None and _is_list(info.annotation)
            else (items[-1] if items else "")
        )
    for name in model.model_fields:
        parts = [values.get(f"{name}-{p}", "").strip() for p in _DATE_PARTS]
        if any(parts):
            day, month, year = parts
            values[name] = (
                f"{year.zfill(4)}-{month.zfill(2)}-{day.zfill(2)}" if all(parts) else "incomplete"
            )
    return values


def parse(model: type[M], form: FormData, labels: dict[str, str]) -> tuple[M | None, FormResult]:
    values = form_values(form, model)
    data = {k: v for k, v in values.items() if k in model.model_fields}
    for name, info in model.model_fields.items():
        if info.annotation is bool or str(info.annotation) == "bool":
            data[name] = name in values
    try:
        return model.model_validate(data), FormResult(values)
    except ValidationError as exc:
        result = FormResult(values)
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "form"
            result.errors.setdefault(name, friendly(err, labels.get(name, name)))
        return None, result


def friendly(err: Any, label: str) -> str:
    """A GOV.UK-style message for a pydantic error on the field called ``label``."""
    kind, ctx = err["type"], err.get("ctx") or {}
    lower = label[0].lower() + label[1:] if label else label
    if kind in ("missing", "string_too_short") or (kind == "string_type" and not err["input"]):
        return f"Enter {lower}"
    if kind == "string_too_long":
        return f"{label} must be {ctx.get('max_length')} characters or fewer"
    if kind in ("enum", "literal_error"):
        return f"Select {lower}"
    if kind.startswith(("date_", "datetime_")):
        return f"{label} must be a real date"
    if kind in ("decimal_parsing", "float_parsing", "int_parsing", "decimal_type"):
        return f"{label} must be a number"
    if kind in ("greater_than", "greater_than_equal"):
        return f"{label} must be {ctx.get('gt', ctx.get('ge'))} or more"
    if kind in ("less_than", "less_than_equal"):
        return f"{label} must be {ctx.get('lt', ctx.get('le'))} or less"
    if kind.startswith("decimal_") or kind == "decimal_max_digits":
        return f"{label} has too many digits"
    return str(err["msg"]).removeprefix("Value error, ")
