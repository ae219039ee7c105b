"""The audit log: every insert, update and delete of an audited table, written in the same
transaction by ORM mapper events, so no service can forget to log a write.

Mapper events fire for each row the flush writes, including rows deleted because they were
removed from a parent's collection (delete-orphan), which the session's pending lists miss.
Bulk Core statements bypass the ORM; code that uses them records a summary event itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, event, insert, inspect, select
from sqlalchemy.orm import Mapper, Session, object_session, sessionmaker

from missionhub.accounts.models import AuditEvent
from missionhub.accounts.permissions import Actor
from missionhub.db.base import Base, jsonable, utcnow
from missionhub.db.version import mark_written

_installed = False


def install_audit_hook(_factory: sessionmaker[Session] | None = None) -> None:
    """Register the mapper events once per process (every session is audited)."""
    global _installed
    if _installed:
        return
    for action in ("insert", "update", "delete"):
        event.listen(Base, f"after_{action}", _listener(action), propagate=True)
    _installed = True


def _listener(action: str) -> Any:
    name = {"insert": "create", "update": "update", "delete": "delete"}[action]

    def record(_mapper: Mapper[Any], connection: Connection, target: Base) -> None:
        if not target.__audited__:
            return
        session = object_session(target)
        row = audit_row(target, name, session.info.get("actor") if session else None)
        if row is not None:
            connection.execute(insert(AuditEvent), [row])
            if session is not None:
                mark_written(session)

    return record


def audit_row(obj: Base, action: str, actor: Actor | None) -> dict[str, Any] | None:
    before, after = _values(obj, action)
    if action == "update" and before == after:
        return None
    identity = inspect(obj).identity or ()
    record_type, record_id = obj.audit_record()
    return {
        "at": utcnow(),
        "actor_user_id": actor.user_id if actor else None,
        "actor_label": actor.label if actor else "system",
        "action": action,
        "entity_type": obj.__tablename__,
        "entity_id": ",".join(str(part) for part in identity) or None,
        "record_type": record_type,
        "record_id": None if record_id is None else str(record_id),
        "before": before,
        "after": after,
    }


def _values(obj: Base, action: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    state = inspect(obj)
    columns = [attr for attr in state.mapper.column_attrs if attr.key not in obj.__audit_exclude__]
    if action == "create":
        return None, {a.key: jsonable(getattr(obj, a.key)) for a in columns}
    if action == "delete":
        return {a.key: jsonable(state.attrs[a.key].loaded_value) for a in columns}, None
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for attr in columns:
        history = state.attrs[attr.key].history
        if history.has_changes():
            before[attr.key] = jsonable(history.deleted[0]) if history.deleted else None
            after[attr.key] = jsonable(history.added[0]) if history.added else None
    return before, after


def history_for(session: Session, record_type: str, record_id: int | str) -> list[AuditEvent]:
    """Every write shown on one record, newest first."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.record_type == record_type, AuditEvent.record_id == str(record_id))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    return list(session.scalars(stmt))
