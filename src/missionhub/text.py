"""Small text helpers shared by every domain."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_length: int = 120) -> str:
    """A lowercase ASCII slug.

    "Foreign, Commonwealth & Development Office" -> "foreign-commonwealth-development-office"
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NON_WORD.sub("-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "untitled"


def clean_text(text: str | None) -> str | None:
    """Trim white space; empty becomes None."""
    if text is None:
        return None
    text = text.strip()
    return text or None
