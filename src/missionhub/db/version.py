"""The store's data version: one number that goes up with every committed write.

Caches of pages and dashboards are tagged with it and discarded when it moves. It must follow
commit order: an id handed out during a transaction (such as the newest audit event id) does not,
because on PostgreSQL a transaction that started writing first may commit last, and its write
would never move the maximum. So every transaction that wrote increments one row just before it
commits; the row lock makes those increments, and so the versions, follow commit order.

"Wrote" means any flush of an audited row (the audit hook marks the session) or any INSERT,
UPDATE or DELETE run through a session (bulk statements included), except on the tables below,
whose writes change nothing a cache shows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, event, select, update
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from missionhub.db.base import Base

NOT_DATA = frozenset({"data_version", "jobs", "user_sessions", "login_failures"})
_local_commits = 0
_installed = False


class DataVersion(Base):
    __tablename__ = "data_version"
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


def current(session: Session) -> int:
    return session.scalar(select(DataVersion.version).where(DataVersion.id == 1)) or 0


def local_commits() -> int:
    """Writing commits made by this process (the page cache re-reads the version when it moves)."""
    return _local_commits


def mark_written(session: Session) -> None:
    session.info["wrote"] = True


def install_version_hooks() -> None:
    global _installed
    if _installed:
        return
    event.listen(Session, "do_orm_execute", _on_execute)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_soft_rollback", _forget)
    _installed = True


def _on_execute(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if table is not None and getattr(table, "name", None) not in NOT_DATA:
            mark_written(state.session)


def _before_commit(session: Session) -> None:
    session.flush()  # so the flush the commit would make marks the session first
    if session.info.get("wrote") and not session.info.get("bumped"):
        session.info["bumped"] = True
        session.execute(
            update(DataVersion).where(DataVersion.id == 1).values(version=DataVersion.version + 1)
        )


def _after_commit(session: Session) -> None:
    global _local_commits
    if session.info.pop("bumped", False):
        _local_commits += 1
    session.info.pop("wrote", None)


def _forget(session: Session, _previous_transaction: Any) -> None:
    session.info.pop("wrote", None)
    session.info.pop("bumped", None)
