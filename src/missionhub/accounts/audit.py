"""The audit log: every insert, update and delete of an audited table, written in the same
transaction by a flush hook, so no service can forget to log a write."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from missionhub.accounts.models import AuditEvent
from missionhub.accounts.permissions import Actor
from missionhub.db.base import Base, jsonable, utcnow


def install_audit_hook(factory: sessionmaker[Session]) -> None:
    event.listen(factory, "after_flush", _record_flush)


def _record_flush(session: Session, _flush_context: Any) -> None:
    actor: Actor | None = session.info.get("actor")
    candidates = [
        *(_event(obj, "create", actor) for obj in session.new),
        *(_event(obj, "update", actor) for obj in session.dirty if session.is_modified(obj)),
        *(_event(obj, "delete", actor) for obj in session.deleted),
    ]
    rows = [row for row in candidates if row is not None]
    if rows:
        session.info["wrote"] = True
        session.connection().execute(insert(AuditEvent), rows)


def _event(obj: object, action: str, actor: Actor | None) -> dict[str, Any] | None:
    if not isinstance(obj, Base) or not obj.__audited__:
        return None
    before, after = _values(obj, action)
    if action == "update" and before == after:
        return None
    state = inspect(obj)
    identity = state.identity or ()
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
