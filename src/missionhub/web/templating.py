"""Jinja templates: each domain's ``templates/`` folder, the GOV.UK Frontend macros, filters."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader

from missionhub.settings import Settings
from missionhub.web.forms import FormResult
from missionhub.web.navigation import navigation
from missionhub.web.security import csrf_token, read_flash

PACKAGE_DIR = Path(__file__).resolve().parents[1]
NO_VALUE = "\u2013"  # an en dash: how GOV.UK tables show a missing number


def template_dirs(domains: list[str]) -> list[str]:
    dirs = [PACKAGE_DIR / "web" / "templates"] + [PACKAGE_DIR / d / "templates" for d in domains]
    return [str(d) for d in dirs if d.is_dir()]


def build_templates(domains: list[str], auto_reload: bool = True) -> Jinja2Templates:
    env = Environment(
        auto_reload=auto_reload,
        loader=ChoiceLoader(
            [
                FileSystemLoader(template_dirs(domains)),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.do"],
    )
    env.filters.update(
        date=format_date,
        datetime=format_datetime,
        number=format_number,
        money=format_money,
        percent=format_percent,
        days=format_days,
    )
    env.globals.update(
        query=query_string, form_of=lambda values: FormResult(dict(values)), navigation=navigation
    )
    return Jinja2Templates(env=env)


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y at %H:%M} UTC"


def format_number(value: Decimal | float | int | None, places: int | None = None) -> str:
    if value is None:
        return NO_VALUE
    if places is None:
        places = 0 if Decimal(str(value)) == Decimal(str(value)).to_integral_value() else 2
    return f"{value:,.{places}f}"


def format_money(value: Decimal | float | int | None) -> str:
    return NO_VALUE if value is None else f"£{value:,.0f}"


def format_percent(value: float | None, places: int = 0) -> str:
    return NO_VALUE if value is None else f"{100 * value:.{places}f}%"


def format_days(value: float | None) -> str:
    if value is None:
        return NO_VALUE
    return f"{value:.0f} day" + ("" if round(value) == 1 else "s")


def query_string(params: dict[str, Any], **changes: Any) -> str:
    """The current filters with some changed (for pagination and filter links)."""
    merged = {**params, **changes}
    return "?" + urlencode({k: v for k, v in merged.items() if v not in (None, "", False)})


class LazyCsrfToken:
    """The CSRF token, computed only if a template prints it. A page that prints one belongs to
    this browser, so it marks itself personal (and the public page cache will not keep it)."""

    def __init__(self, request: Request, settings: Settings) -> None:
        self.request, self.settings = request, settings

    def __str__(self) -> str:
        self.request.state.personal = True
        return csrf_token(self.request, self.settings)

    def __html__(self) -> str:
        return str(self)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render a page with what every page needs: the actor, CSRF token, CSP nonce, flash."""
    if status_code >= 400:
        # A page re-shown with errors must not keep what its handler half-did: the request's
        # transaction is rolled back, not committed (see web.deps.db_session).
        request.state.failed = True
    settings: Settings = request.app.state.settings
    templates: Jinja2Templates = request.app.state.templates
    actor = getattr(request.state, "actor", None)
    base = {
        "actor": actor,
        "csrf_token": LazyCsrfToken(request, settings),
        "flash": read_flash(request, settings),
        "current_path": request.url.path,
        "environment": settings.environment.value,
    }
    return templates.TemplateResponse(
        request, name, {**base, **(context or {})}, status_code=status_code
    )
