"""One page of a list, and the query that fetches it."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.page_size))

    @property
    def first_index(self) -> int:
        return 0 if not self.total else (self.page - 1) * self.page_size + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.page_size)


def paginate(session: Session, stmt: Select[Any], *, page: int, page_size: int) -> Page[Any]:
    """Run ``stmt`` for one page (1-based) and count the whole selection."""
    page = max(1, page)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(session.scalars(stmt.offset((page - 1) * page_size).limit(page_size)).unique())
    return Page(items=items, total=total, page=page, page_size=page_size)
