"""Read-through cache for dashboards, invalidated by any write.

Every committed write moves the store's data version (missionhub.db.version), so a cached result
is reused only while no write has been committed since it was computed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from missionhub.accounts.permissions import Actor
from missionhub.db import version

T = TypeVar("T")
_MAX_ENTRIES = 512
_lock = threading.Lock()
_entries: OrderedDict[Hashable, tuple[Any, Any]] = OrderedDict()


def data_version(session: Session) -> tuple[str, int]:
    return str(session.get_bind().engine.url), version.current(session)


def viewer_scope(actor: Actor) -> tuple[Hashable, ...]:
    """What decides which records an actor can see (see accounts.permissions)."""
    if actor.is_admin:
        return ("admin",)
    if actor.is_civil_servant:
        return ("civil-servant", actor.organisation_id)
    return ("public",)


def cached(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or its result from an earlier call made since the last write.
    A transaction that has written itself is never served from (or stored in) the cache."""
    if session.info.get("wrote"):
        return compute()
    version = data_version(session)
    with _lock:
        hit = _entries.get(key)
        if hit is not None and hit[0] == version:
            _entries.move_to_end(key)
            return hit[1]
    value = compute()
    with _lock:
        _entries[key] = (version, value)
        _entries.move_to_end(key)
        while len(_entries) > _MAX_ENTRIES:
            _entries.popitem(last=False)
    return value


def clear() -> None:
    with _lock:
        _entries.clear()
