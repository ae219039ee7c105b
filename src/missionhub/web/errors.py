"""Turn service errors into pages (HTML) or problem responses (JSON under /api)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from missionhub.errors import Conflict, Invalid, NotFound, PermissionDenied
from missionhub.web.deps import LoginRequired
from missionhub.web.templating import render

log = logging.getLogger(__name__)

_TITLES = {
    400: "There is a problem with your request",
    401: "You need to sign in",
    403: "You do not have permission to do this",
    404: "Page not found",
    405: "This address does not accept that request",
    409: "This cannot be done right now",
    422: "There is a problem with what you sent",
    500: "Sorry, there is a problem with the service",
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def problem(request: Request, status: int, detail: object) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": detail}, status_code=status)
    message = detail if isinstance(detail, str) else None
    if not hasattr(request.state, "actor"):
        request.state.actor = None
    return render(
        request,
        "error.html",
        {"title": _TITLES.get(status, "Error"), "status": status, "message": message},
        status_code=status,
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return problem(request, 404, str(exc) or "Not found")

    @app.exception_handler(PermissionDenied)
    async def forbidden(request: Request, exc: PermissionDenied) -> Response:
        return problem(request, 403, str(exc))

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict) -> Response:
        return problem(request, 409, str(exc))

    @app.exception_handler(Invalid)
    async def invalid(request: Request, exc: Invalid) -> Response:
        detail = [
            {
                "loc": ["body", *e.field.split(".")] if e.field else ["body"],
                "msg": e.message,
                "type": "value_error",
            }
            for e in exc.errors
        ]
        return problem(request, 422, detail if _is_api(request) else str(exc))

    @app.exception_handler(ValidationError)
    async def model_invalid(request: Request, exc: ValidationError) -> Response:
        # A route that builds a model from its own parameters: the same answer as Invalid.
        return await invalid(request, Invalid.from_pydantic(exc))

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if _is_api(request):
            return problem(request, 401, "Authentication required")
        return RedirectResponse(f"/sign-in?next={request.url.path}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        response = problem(request, exc.status_code, exc.detail)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        if _is_api(request):
            return JSONResponse({"detail": errors}, status_code=422)
        fields = ", ".join(str(e["loc"][-1]) for e in errors)
        return problem(request, 400, f"The request was not understood (check: {fields})")

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def out_of_range(request: Request, exc: Exception) -> Response:
        # A value the database cannot hold reached it: a validation gap, not a server fault.
        log.warning("value out of range on %s %s: %s", request.method, request.url.path, exc)
        return problem(
            request,
            422 if _is_api(request) else 400,
            "A value in the request is out of range"
            if _is_api(request)
            else "A value in the request is out of range.",
        )

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(request, 500, "Something went wrong. Try again later.")
