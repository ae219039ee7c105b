"""Sections that other domains add to a record's page (e.g. the risk register on a project).

A domain's ``pages.py`` may define ``project_panels(session, actor, project) -> list[Panel]``;
the project page includes each panel's template with its context, in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from missionhub.accounts.permissions import Actor
from missionhub.domains import domain_modules


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 50


def panels_for(hook: str, session: Session, actor: Actor, record: Any) -> list[Panel]:
    found = [
        panel
        for module in domain_modules("pages")
        if hasattr(module, hook)
        for panel in getattr(module, hook)(session, actor, record)
    ]
    return sorted(found, key=lambda p: p.order)
