"""Filter tags: a document's visibility, owner and facets as tokens in its full-text entry, so
the full-text engine applies visibility and filters while it matches (intersecting posting
lists) instead of the database checking every match afterwards. Pure.

Tokens are letters and digits only (``x`` + facet + a short hash of the value), so every
tokenizer keeps them whole; the exact SQL filters still run on the (much smaller) result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from missionhub.accounts.permissions import Actor, Visibility


def token(facet: str, value: Any) -> str:
    digest = hashlib.sha1(str(getattr(value, "value", value)).encode()).hexdigest()[:10]  # noqa: S324
    return f"x{facet}{digest}"


def document_tags(doc: dict[str, Any]) -> str:
    """The tag tokens of a search document (a row of learning_documents as a dict)."""
    tokens = [
        token("kind", doc["kind"]),
        token("vis", doc["visibility"]),
        token("on", doc["organisation_name"]),
        token("country", doc["country"]),
        token("source", doc["source"]),
    ]
    if doc.get("organisation_id") is not None:
        tokens.append(token("org", doc["organisation_id"]))
    if doc.get("stage"):
        tokens.append(token("stage", doc["stage"]))
    if doc.get("topic"):
        tokens.append(token("topic", doc["topic"]))
    tokens += [token("mission", m) for m in (doc.get("mission_ids") or "").split(",") if m]
    return " ".join(tokens)


def visibility_tokens(actor: Actor) -> list[str] | None:
    """Any one of these tokens makes a document readable by ``actor`` (None: everything)."""
    if actor.is_admin:
        return None
    published = token("vis", Visibility.PUBLISHED)
    if not actor.is_civil_servant:
        return [published]
    own = [token("org", actor.organisation_id)] if actor.organisation_id is not None else []
    return [published, token("vis", Visibility.INTERNAL), *own]


def required_tokens(filters: Iterable[tuple[str, Any]]) -> list[str]:
    """One token per (facet, value) filter that is set."""
    return [token(facet, value) for facet, value in filters if value not in (None, "")]
