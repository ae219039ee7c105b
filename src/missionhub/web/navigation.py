"""The service navigation: each domain's ``pages.NAV`` items, then the account links."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from missionhub.accounts.models import Role
from missionhub.accounts.permissions import Actor
from missionhub.domains import domain_modules


def everyone(actor: Actor | None) -> bool:
    return True


def civil_servants(actor: Actor | None) -> bool:
    return actor is not None and actor.is_civil_servant


def roles(*allowed: Role) -> Callable[[Actor | None], bool]:
    def check(actor: Actor | None) -> bool:
        return actor is not None and actor.role in allowed

    return check


@dataclass(frozen=True)
class NavItem:
    href: str
    text: str
    order: int = 50
    show: Callable[[Actor | None], bool] = everyone


def navigation(actor: Actor | None, current_path: str) -> list[dict[str, Any]]:
    items = sorted(
        (
            item
            for module in domain_modules("pages")
            for item in getattr(module, "NAV", [])
            if item.show(actor)
        ),
        key=lambda item: (item.order, item.text),
    )
    links = [
        {"href": i.href, "text": i.text, "active": current_path.startswith(i.href)} for i in items
    ]
    if actor is not None and actor.is_authenticated:
        links.append(
            {
                "href": "/account",
                "text": "Your account",
                "active": current_path.startswith("/account"),
            }
        )
        links.append({"href": "/sign-out", "text": "Sign out"})
    else:
        links.append({"href": "/sign-in", "text": "Sign in", "active": current_path == "/sign-in"})
    return links
