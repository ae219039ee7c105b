"""The application factory: one process serving pages, the JSON API and static assets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from missionhub import __version__
from missionhub.db.session import Database
from missionhub.domains import DOMAINS, domain_modules
from missionhub.settings import Environment, Settings, get_settings
from missionhub.web.errors import install_error_handlers
from missionhub.web.page_cache import PageCache, PageCacheMiddleware
from missionhub.web.security import SecurityMiddleware
from missionhub.web.templating import build_templates

STATIC = Path(__file__).with_name("static")


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    db = database or Database(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = None
        if settings.run_worker_in_process:
            from missionhub.jobs.worker import start_in_thread

            _, stop = start_in_thread(db)
        yield
        if stop is not None:
            stop.set()
        if database is None:
            db.dispose()

    app = FastAPI(
        title="Mission Hub API",
        version=__version__,
        description="Projects, missions, use cases and the innovation funnel. Authenticate with "
        "`Authorization: Bearer <token>` (create a token under Your account).",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.templates = build_templates(
        DOMAINS, auto_reload=settings.environment is Environment.DEVELOPMENT
    )
    app.state.page_cache = PageCache(db, settings.page_cache_seconds)
    app.add_middleware(PageCacheMiddleware, cache=app.state.page_cache)
    app.add_middleware(SecurityMiddleware, settings=settings)  # outermost: wraps cached pages too
    app.mount("/assets", StaticFiles(directory=STATIC / "govuk-frontend" / "assets"), name="assets")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_error_handlers(app)
    _include_domain_routers(app)
    return app


def _include_domain_routers(app: FastAPI) -> None:
    from missionhub.web import pages

    app.include_router(pages.router)
    for module in domain_modules("api"):
        app.include_router(module.router, prefix="/api")
    for module in domain_modules("pages"):
        app.include_router(module.router)
