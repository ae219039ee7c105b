"""A cache of public pages: what an anonymous visitor sees is the same for every anonymous
visitor, so it is rendered once per data version and then served from memory.

- Only GET requests with no session cookie, no flash message and no Authorization header.
- A response is kept only if it is a 200, sets no cookie, and rendered nothing tied to the
  browser (a page that rendered a CSRF token marks itself personal; see `web.templating`).
- The data version (missionhub.db.version) moves with every committed write. A write committed
  by this process invalidates at once; writes by other worker processes are noticed within
  `page_cache_seconds`. Setting it to 0 turns the cache off.
- The key includes the Host header, so a request with a forged Host cannot fill the cache for
  everyone else with links to another site.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import anyio
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from missionhub.db import version as data_version
from missionhub.db.session import Database
from missionhub.web.security import FLASH_COOKIE, SESSION_COOKIE

NOT_CACHED_PREFIXES = ("/api/", "/static/", "/assets/", "/jobs/", "/sign-", "/healthz")
MAX_BODY = 2 * 1024 * 1024


@dataclass
class Entry:
    version: int
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


@dataclass
class PageCache:
    db: Database
    ttl: float
    max_entries: int = 1000
    entries: OrderedDict[str, Entry] = field(default_factory=OrderedDict)
    _version: int = -1
    _checked_at: float = 0.0
    _writes_seen: int = -1
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _refreshing: anyio.Lock = field(default_factory=anyio.Lock)

    def _read_version(self) -> int:
        with self.db.session_factory() as session:
            return data_version.current(session)

    async def version(self) -> int:
        """The data version, re-read when stale or after a write in this process.

        One request re-reads it at a time; while it does, others use the version they have,
        unless this process has written since (then they wait for the new one)."""
        now, writes = time.monotonic(), data_version.local_commits()
        if now - self._checked_at <= self.ttl and writes == self._writes_seen:
            return self._version
        if self._refreshing.locked() and writes == self._writes_seen:
            return self._version
        async with self._refreshing:
            if writes != self._writes_seen or now - self._checked_at > self.ttl:
                version = await anyio.to_thread.run_sync(self._read_version)
                self._version, self._checked_at, self._writes_seen = version, now, writes
        return self._version

    def get(self, key: str, version: int) -> Entry | None:
        with self._lock:
            entry = self.entries.get(key)
            if entry is None or entry.version != version:
                return None
            self.entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: Entry) -> None:
        with self._lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()


def cacheable_request(scope: Scope) -> bool:
    if scope["type"] != "http" or scope["method"] != "GET":
        return False
    if scope["path"].startswith(NOT_CACHED_PREFIXES):
        return False
    headers = Headers(scope=scope)
    cookies = headers.get("cookie", "")
    return (
        "authorization" not in headers
        and SESSION_COOKIE not in cookies
        and FLASH_COOKIE not in cookies
    )


class PageCacheMiddleware:
    def __init__(self, app: ASGIApp, cache: PageCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.cache.ttl <= 0 or not cacheable_request(scope):
            await self.app(scope, receive, send)
            return
        host = Headers(scope=scope).get("host", "")
        key = host + scope["path"] + "?" + scope.get("query_string", b"").decode("latin-1")
        version = await self.cache.version()
        hit = self.cache.get(key, version)
        if hit is not None:
            await send(
                {
                    "type": "http.response.start",
                    "status": hit.status,
                    "headers": [*hit.headers, (b"x-cache", b"hit")],
                }
            )
            await send({"type": "http.response.body", "body": hit.body})
            return
        await self._render_and_keep(scope, receive, send, key, version)

    async def _render_and_keep(
        self, scope: Scope, receive: Receive, send: Send, key: str, version: int
    ) -> None:
        start: Message = {}
        chunks: list[bytes] = []
        keep = True

        async def capture(message: Message) -> None:
            nonlocal start, keep
            if message["type"] == "http.response.start":
                start = message
                names = {name.lower() for name, _ in message.get("headers", [])}
                keep = message["status"] == 200 and b"set-cookie" not in names
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"x-cache", b"miss")],
                }
            elif message["type"] == "http.response.body" and keep:
                chunks.append(message.get("body", b""))
                keep = sum(map(len, chunks)) <= MAX_BODY
            await send(message)

        await self.app(scope, receive, capture)
        if keep and start and not scope.get("state", {}).get("personal"):
            self.cache.put(
                key,
                Entry(version, start["status"], list(start.get("headers", [])), b"".join(chunks)),
            )
