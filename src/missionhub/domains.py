"""The domain packages, in one list. A new domain adds its name here and nowhere else:

- ``missionhub.<domain>.models`` is imported so Alembic sees its tables;
- ``missionhub.<domain>.api.router`` is served under /api, ``pages.router`` at the root;
- ``missionhub.<domain>.cli.app`` (a Typer app) becomes ``missionhub <domain> ...``;
- ``missionhub.<domain>.pages.NAV`` adds items to the service navigation.
Each of those modules is optional.
"""

from __future__ import annotations

import importlib
from types import ModuleType

DOMAINS: list[str] = [
    "accounts",
    "portfolio",
    "jobs",
    "risk",
    "learning",
    "procurement",
    "challenges",
    "linkage",
]


def domain_module(domain: str, name: str) -> ModuleType | None:
    """``missionhub.<domain>.<name>``, or None if the domain has no such module."""
    full = f"missionhub.{domain}.{name}"
    try:
        return importlib.import_module(full)
    except ModuleNotFoundError as exc:
        if exc.name != full:
            raise
        return None


def domain_modules(name: str) -> list[ModuleType]:
    return [m for m in (domain_module(d, name) for d in DOMAINS) if m is not None]
