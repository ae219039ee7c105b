"""Cookies, CSRF tokens, flash messages and security headers.

CSRF: every form carries a token that is an HMAC of the visitor's session (or, before login,
of a random per-browser cookie) under the secret key. A POST without the matching token is
refused. The JSON API takes bearer tokens, not cookies, so it needs no CSRF token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib.resources
import json
import re
import secrets
from functools import cache
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from missionhub.settings import Settings

SESSION_COOKIE = "mh_session"
BROWSER_COOKIE = "mh_browser"
FLASH_COOKIE = "mh_flash"
CSRF_FIELD = "csrf_token"


def _sign(secret: str, purpose: str, value: str) -> str:
    return hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def browser_id(request: Request) -> str:
    """A random id for this browser, set as a cookie on first visit (by the middleware)."""
    return str(request.state.browser_id)


def csrf_token(request: Request, settings: Settings) -> str:
    bound_to = request.cookies.get(SESSION_COOKIE) or browser_id(request)
    return _sign(settings.secret_key, "csrf", bound_to)


def csrf_valid(request: Request, settings: Settings, submitted: str | None) -> bool:
    return bool(submitted) and hmac.compare_digest(csrf_token(request, settings), str(submitted))


def set_cookie(
    response: Response, settings: Settings, name: str, value: str, max_age: int | None = None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
    )


def see_other(url: str, settings: Settings, message: str | None = None) -> RedirectResponse:
    """The 303 after a successful form, with an optional one-time message for the next page."""
    response = RedirectResponse(url, status_code=303)
    if message:
        flash(response, settings, message)
    return response


def flash(response: Response, settings: Settings, message: str, kind: str = "success") -> None:
    """A one-time message shown on the next page (a signed cookie)."""
    payload = base64.urlsafe_b64encode(json.dumps([kind, message]).encode()).decode()
    set_cookie(
        response,
        settings,
        FLASH_COOKIE,
        f"{payload}.{_sign(settings.secret_key, 'flash', payload)}",
        max_age=120,
    )


def read_flash(request: Request, settings: Settings) -> dict[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw or "." not in raw:
        return None
    payload, signature = raw.rsplit(".", 1)
    if not hmac.compare_digest(_sign(settings.secret_key, "flash", payload), signature):
        return None
    try:
        kind, message = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, TypeError):
        return None
    return {"kind": str(kind), "message": str(message)}


class SecurityMiddleware:
    """Sets the browser cookie, a CSP nonce and security headers on every response,
    and clears the flash cookie once it has been shown."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if b"%00" in scope.get("query_string", b"").lower():
            await _refuse_nul(send)
            return
        request = Request(scope)
        existing = request.cookies.get(BROWSER_COOKIE)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["browser_id"] = existing or secrets.token_urlsafe(24)
        had_flash = FLASH_COOKIE in request.cookies

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                self._headers(headers)
                if not existing:
                    headers.append(
                        "set-cookie", self._cookie(BROWSER_COOKIE, state["browser_id"], 86400 * 365)
                    )
                if had_flash and not _sets_cookie(headers, FLASH_COOKIE):
                    headers.append("set-cookie", self._cookie(FLASH_COOKIE, "", 0))
            await send(message)

        await self.app(scope, receive, send_wrapper)

    def _cookie(self, name: str, value: str, max_age: int) -> str:
        secure = "; Secure" if self.settings.secure_cookies else ""
        return f"{name}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax{secure}"

    def _headers(self, headers: MutableHeaders) -> None:
        headers.setdefault(
            "content-security-policy",
            f"default-src 'self'; script-src 'self' {inline_script_hashes()}; style-src 'self'; "
            "img-src 'self' data:; font-src 'self'; object-src 'none'; base-uri 'self'; "
            "form-action 'self'; frame-ancestors 'none'",
        )
        headers.setdefault("x-content-type-options", "nosniff")
        headers.setdefault("x-frame-options", "DENY")
        headers.setdefault("referrer-policy", "strict-origin-when-cross-origin")
        headers.setdefault("permissions-policy", "camera=(), microphone=(), geolocation=()")
        if self.settings.secure_cookies:
            headers.setdefault("strict-transport-security", "max-age=31536000; includeSubDomains")


def _sets_cookie(headers: MutableHeaders, name: str) -> bool:
    return any(v.startswith(f"{name}=") for v in headers.getlist("set-cookie"))


async def _refuse_nul(send: Send) -> None:
    body = b"The address contains a NUL character, which is not allowed."
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


@cache
def inline_script_hashes() -> str:
    """CSP hashes of the GOV.UK template's inline script(s). Allowing them by hash rather than a
    per-response nonce keeps public pages cacheable (web.page_cache)."""
    template = (
        importlib.resources.files("govuk_frontend_jinja") / "templates" / "template.html"
    ).read_text(encoding="utf-8")
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", template, re.S)
    return " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in scripts
    )
