"""Sign in and out, your account and API tokens, and the admin area (users, audit log)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from missionhub.accounts import service
from missionhub.accounts.models import OrgKind, Role
from missionhub.accounts.permissions import require_admin
from missionhub.accounts.schemas import TokenIn, UserIn
from missionhub.errors import Invalid
from missionhub.web.deps import (
    AppSettings,
    CurrentActor,
    DbSession,
    PathId,
    SignedInActor,
    csrf_protect,
)
from missionhub.web.forms import FormResult, parse
from missionhub.web.navigation import NavItem, roles
from missionhub.web.security import SESSION_COOKIE, flash, set_cookie
from missionhub.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
NAV = [NavItem("/admin", "Admin", 90, roles(Role.ADMIN))]


def safe_next(target: str | None) -> str:
    """Only a path on this site (never //host or a scheme) may be a redirect target."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, actor: CurrentActor, next: str = "/") -> HTMLResponse:
    return render(
        request,
        "accounts/sign_in.html",
        {"title": "Sign in", "next": safe_next(next), "form": FormResult({})},
    )


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(
    request: Request, session: DbSession, actor: CurrentActor, settings: AppSettings
) -> Response:
    form = await request.form()
    email, password = str(form.get("email", "")).strip(), str(form.get("password", ""))
    result = FormResult({"email": email})
    if not email:
        result.errors["email"] = "Enter your email address"
    if not password:
        result.errors["password"] = "Enter your password"  # noqa: S105
    if "\x00" in email + password:
        result.errors["email"] = "Enter a correct email address and password"
    if not result.errors:
        try:
            user = service.authenticate(
                session,
                email=email,
                password=password,
                ip=_client_ip(request),
                max_failures=settings.login_max_failures,
                max_failures_per_ip=settings.login_max_failures_per_ip,
                window=timedelta(minutes=settings.login_window_minutes),
            )
        except service.LoginRefused as exc:
            result.errors["email"] = str(exc)
        else:
            token = service.start_session(
                session,
                user=user,
                hours=settings.session_hours,
                ip=_client_ip(request),
                user_agent=request.headers.get("user-agent"),
            )
            response = RedirectResponse(safe_next(str(form.get("next", "/"))), status_code=303)
            set_cookie(
                response, settings, SESSION_COOKIE, token, max_age=settings.session_hours * 3600
            )
            return response
    session.commit()  # keep the failure record even though the page reports an error
    return render(
        request,
        "accounts/sign_in.html",
        {"title": "Sign in", "next": safe_next(str(form.get("next", "/"))), "form": result},
        status_code=400,
    )


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.get("/sign-out", response_class=HTMLResponse)
def sign_out_confirm(request: Request, actor: CurrentActor) -> HTMLResponse:
    return render(request, "accounts/sign_out.html", {"title": "Sign out"})


@router.post("/sign-out")
def sign_out(request: Request, session: DbSession, settings: AppSettings) -> Response:
    service.end_session(session, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=settings.secure_cookies, httponly=True, samesite="lax"
    )
    flash(response, settings, "You have signed out")
    return response


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, session: DbSession, actor: SignedInActor) -> HTMLResponse:
    assert actor.user_id is not None
    return render(
        request,
        "accounts/account.html",
        {
            "title": "Your account",
            "user": service.get_user(session, actor=actor, user_id=actor.user_id),
            "tokens": service.list_api_tokens(session, actor=actor),
            "form": FormResult({}),
        },
    )


@router.post("/account/tokens", response_class=HTMLResponse)
async def create_token(request: Request, session: DbSession, actor: SignedInActor) -> HTMLResponse:
    data, result = parse(TokenIn, await request.form(), {"name": "Token name", "days": "Days"})
    new_token = None
    if data is not None:
        _, new_token = service.create_api_token(session, actor=actor, data=data)
        session.flush()
    assert actor.user_id is not None
    return render(
        request,
        "accounts/account.html",
        {
            "title": "Your account",
            "user": service.get_user(session, actor=actor, user_id=actor.user_id),
            "tokens": service.list_api_tokens(session, actor=actor),
            "new_token": new_token,
            "form": result,
        },
        status_code=200 if data else 400,
    )


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(
    token_id: PathId, session: DbSession, actor: SignedInActor, settings: AppSettings
) -> Response:
    service.revoke_api_token(session, actor=actor, token_id=token_id)
    response = RedirectResponse("/account", status_code=303)
    flash(response, settings, "Token revoked")
    return response


# Admin -----------------------------------------------------------------------------------------


@router.get("/admin", response_class=HTMLResponse)
def admin_home(request: Request, session: DbSession, actor: SignedInActor) -> HTMLResponse:
    require_admin(actor)
    return render(
        request,
        "accounts/admin.html",
        {
            "title": "Admin",
            "users": service.list_users(session, actor=actor),
        },
    )


def _user_form_context(session: DbSession, form: FormResult) -> dict[str, object]:
    orgs = service.list_organisations(session)
    return {
        "title": "Add a user",
        "form": form,
        "organisations": [(o.id, f"{o.name} ({o.kind.label})") for o in orgs],
        "roles": [(r.value, r.label) for r in Role],
    }


@router.get("/admin/users/new", response_class=HTMLResponse)
def new_user_form(request: Request, session: DbSession, actor: SignedInActor) -> HTMLResponse:
    require_admin(actor)
    return render(request, "accounts/user_form.html", _user_form_context(session, FormResult({})))


@router.post("/admin/users/new", response_class=HTMLResponse)
async def create_user(
    request: Request, session: DbSession, actor: SignedInActor, settings: AppSettings
) -> Response:
    require_admin(actor)
    labels = {
        "email": "Email address",
        "display_name": "Name",
        "password": "Password",
        "role": "Role",
        "organisation_id": "Organisation",
    }
    data, result = parse(UserIn, await request.form(), labels)
    if data is not None:
        try:
            user = service.create_user(session, actor=actor, data=data)
        except Invalid as exc:
            result.add(exc)
        else:
            response = RedirectResponse("/admin", status_code=303)
            flash(response, settings, f"User {user.email} created")
            return response
    return render(
        request, "accounts/user_form.html", _user_form_context(session, result), status_code=400
    )


@router.get("/admin/audit", response_class=HTMLResponse)
def audit(
    request: Request,
    session: DbSession,
    actor: SignedInActor,
    page: int = 1,
    entity_type: str | None = None,
) -> HTMLResponse:
    events, total = service.audit_log(
        session, actor=actor, entity_type=entity_type, page=max(1, page)
    )
    return render(
        request,
        "accounts/audit.html",
        {
            "title": "Audit log",
            "events": events,
            "total": total,
            "page": max(1, page),
            "pages": max(1, -(-total // 50)),
            "entity_type": entity_type or "",
        },
    )


@router.get("/organisations", response_class=HTMLResponse)
def organisations(request: Request, session: DbSession, actor: CurrentActor) -> HTMLResponse:
    orgs = service.list_organisations(session, kinds={k for k in OrgKind if k.is_public_sector})
    return render(
        request, "accounts/organisations.html", {"title": "Organisations", "organisations": orgs}
    )
