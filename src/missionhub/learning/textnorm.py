"""Text normalisation for search and similarity: pure functions over strings."""

from __future__ import annotations

import html
import re
import unicodedata
from itertools import pairwise

_WORD = re.compile(r"[a-z0-9]+")
_TEXT_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")

# Common English words, and words every AI inventory entry uses, that say nothing about
# what a project does.
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "use",
        "used",
        "using",
        "uses",
        "may",
        "via",
        "within",
        "across",
        "per",
        "e",
        "g",
        "etc",
        "ie",
        "eg",
        "n",
        "a",
        "na",
        "none",
    ]
)


def clean(text: str | None) -> str:
    """Unicode-normalised text on one line: NFKC, white space collapsed, trimmed."""
    if not text:
        return ""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def fold(text: str) -> str:
    """Lower-case ASCII: accents removed, so "Régie" matches "regie"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode().lower()


def stem(word: str) -> str:
    """A light English stemmer: plurals and a few suffixes ("records" -> "record")."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)] + keep
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words(text: str | None) -> list[str]:
    """Content words of ``text``: folded, stop words dropped, stemmed."""
    return [stem(w) for w in _WORD.findall(fold(text or "")) if w not in STOPWORDS and len(w) > 1]


def features(text: str | None) -> list[str]:
    """Words and adjacent word pairs: the terms similarity is measured on."""
    ws = words(text)
    return ws + [f"{a} {b}" for a, b in pairwise(ws)]


MARK_START, MARK_END = "\x02", "\x03"


def highlight(snippet: str) -> str:
    """HTML for a snippet whose matches are wrapped in MARK_START/MARK_END: everything is
    escaped, then the marks become ``<mark>``."""
    escaped = html.escape(snippet.replace(MARK_START, "\x00s").replace(MARK_END, "\x00e"))
    return escaped.replace("\x00s", "<mark>").replace("\x00e", "</mark>")


def summarise(text: str, limit: int = 240) -> str:
    """The first ``limit`` characters, cut at a word boundary."""
    text = clean(text)
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def snippet(text: str, query: str, words_around: int = 30) -> str:
    """A window of ``text`` around the most matches of ``query``'s words, matches wrapped in
    MARK_START/MARK_END (for :func:`highlight`); the whole text marked if it is short."""
    wanted = set(words(query))
    spans = [m.span() for m in _TEXT_WORD.finditer(text)]
    hits = [i for i, (a, b) in enumerate(spans) if stem(fold(text[a:b])) in wanted]
    if len(spans) <= words_around:
        first, last = 0, len(spans)
    else:
        best = max(hits, key=lambda i: sum(i <= j < i + words_around for j in hits), default=0)
        first = max(0, min(best - 5, len(spans) - words_around))
        last = first + words_around
    out, cursor = [], spans[first][0] if spans else 0
    for i in range(first, last):
        a, b = spans[i]
        out.append(text[cursor:a])
        out.append(f"{MARK_START}{text[a:b]}{MARK_END}" if i in hits else text[a:b])
        cursor = b
    end = spans[last - 1][1] if spans else len(text)
    body = "".join(out) + (text[cursor:end] if cursor < end else "")
    return ("… " if first > 0 else "") + clean(body) + (" …" if last < len(spans) else "")
