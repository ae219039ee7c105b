"""Browser journeys: Debian's Chromium driven by Playwright against a live server.

The server runs in a thread with the embedded job worker, on a fresh database of each backend
with the demo data loaded. Every page a test visits must be checked with axe-core
(:meth:`Journey.check`); a test that visits a page it did not check fails.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from missionhub.accounts.permissions import Actor
from missionhub.db import migrate
from missionhub.db.session import Database
from missionhub.demo import DEFAULT_DEMO_PASSWORD, load_demo
from missionhub.settings import Environment, Settings
from missionhub.web.app import create_app
from tests.conftest import DATA_DIR, TEST_SECRET, dispose_database_url, fresh_database_url

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
BLOCKING_IMPACTS = ("serious", "critical")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass
class LiveServer:
    url: str
    db: Database
    settings: Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("live")
    url = fresh_database_url(request.param, tmp)
    migrate.upgrade(url)
    settings = Settings(
        environment=Environment.TEST,
        database_url=url,
        secret_key=TEST_SECRET,
        var_dir=tmp,
        data_dir=DATA_DIR,
        run_worker_in_process=True,
    )
    db = Database(url)
    with db.transaction(Actor.system("browser tests")) as session:
        load_demo(session, data_dir=DATA_DIR, password=DEFAULT_DEMO_PASSWORD)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, database=db), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "live server did not start"
    yield LiveServer(f"http://127.0.0.1:{port}", db, settings)
    server.should_exit = True
    thread.join(timeout=10)
    db.dispose()
    dispose_database_url(url)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser-deps`", pytrace=False)
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class Journey:
    """A person's visit: navigation helpers, and an accessibility check of every page seen."""

    page: Page
    base: str
    axe: Axe
    visited: list[str] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)

    def goto(self, path: str) -> Page:
        self.page.goto(self.base + path)
        self.check()
        return self.page

    def check(self) -> None:
        """Run axe-core on the current page; fail on any serious or critical violation."""
        self.page.wait_for_load_state("domcontentloaded")
        results = self.axe.run(self.page)
        blocking = [
            v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS
        ]
        self.checked.add(_path(self.page.url))
        assert not blocking, f"axe-core on {self.page.url}:\n" + "\n".join(
            f"- {v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
            for v in blocking
        )

    def sign_in(self, email: str, password: str = DEFAULT_DEMO_PASSWORD) -> None:
        self.goto("/sign-in")
        self.page.get_by_label("Email address").fill(email)
        self.page.get_by_label("Password", exact=True).fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_load_state()
        self.check()
        assert "Sign out" in self.page.inner_text("header"), "sign-in failed"

    def sign_out(self) -> None:
        self.goto("/sign-out")
        self.page.get_by_role("button", name="Sign out").click()
        self.page.wait_for_load_state()
        self.check()

    def submit(self, button: str) -> None:
        """Press a form's button, wait for the next page, and check it."""
        self.page.get_by_role("button", name=button).click()
        self.page.wait_for_load_state()
        self.check()


def _path(url: str) -> str:
    return url.split("#", 1)[0]


@pytest.fixture
def journey(
    browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Journey]:
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    trip = Journey(page=page, base=live_server.url, axe=Axe())
    page.on(
        "framenavigated",
        lambda frame: trip.visited.append(_path(frame.url)) if frame is page.main_frame else None,
    )
    try:
        yield trip
    finally:
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
        context.close()
    unchecked = [url for url in trip.visited if url not in trip.checked]
    assert not unchecked, f"pages visited without an accessibility check: {unchecked}"


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
