"""Pages that belong to no domain: the start page, statements, API reference, health check."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import text

from missionhub.portfolio.dashboards import FunnelSelection, funnel, missions_overview
from missionhub.web.deps import CurrentActor, DbSession
from missionhub.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: DbSession, actor: CurrentActor) -> HTMLResponse:
    return render(
        request,
        "home.html",
        {
            "title": "Mission Hub",
            "funnel": funnel(session, actor=actor, sel=FunnelSelection()),
            "missions": missions_overview(session, actor=actor),
        },
    )


def _static_page(name: str, title: str) -> Any:
    def page(request: Request, actor: CurrentActor) -> HTMLResponse:
        return render(request, f"{name}.html", {"title": title})

    page.__name__ = f"page_{name.replace('-', '_')}"
    return page


for _path, _name, _title in (
    ("/accessibility", "accessibility", "Accessibility statement"),
    ("/cookies", "cookies", "Cookies"),
    ("/privacy", "privacy", "Privacy notice"),
    ("/about/data", "data-sources", "Data sources and licences"),
):
    router.add_api_route(
        _path, _static_page(_name, _title), methods=["GET"], response_class=HTMLResponse
    )


@router.get("/api", response_class=HTMLResponse)
def api_reference(request: Request, actor: CurrentActor) -> HTMLResponse:
    """A readable list of the JSON API's operations, built from the OpenAPI document."""
    spec = request.app.openapi()
    operations = [
        {
            "method": method.upper(),
            "path": path,
            "summary": op.get("summary", ""),
            "tag": (op.get("tags") or ["other"])[0],
        }
        for path, methods in spec["paths"].items()
        for method, op in methods.items()
    ]
    return render(request, "api.html", {"title": "API", "operations": operations})


@router.get("/healthz")
def health(session: DbSession) -> JSONResponse:
    session.execute(text("SELECT 1"))
    return JSONResponse({"status": "ok"})
