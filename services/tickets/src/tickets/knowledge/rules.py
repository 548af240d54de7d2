"""The knowledge base's rules, without I/O: languages and their text-search configurations,
the query a case being written becomes, highlights made safe to show, and the deflection
figures of the report."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Language(StrEnum):
    EN = "en"
    NL = "nl"


class Visibility(StrEnum):
    PUBLIC = "public"  # every customer's people read it once published
    INTERNAL = "internal"  # the vendor's staff only


class ArticleStatus(StrEnum):
    DRAFT = "draft"  # never published: staff only
    PUBLISHED = "published"
    ARCHIVED = "archived"  # no longer served nor suggested; staff still read it


class VersionState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"  # was published; kept as history


class Outcome(StrEnum):
    PENDING = "pending"
    DEFLECTED = "deflected"
    CASE_OPENED = "case_opened"


# PostgreSQL's text-search configuration per language: stemming and stop words.
CONFIGS: dict[Language, str] = {Language.EN: "english", Language.NL: "dutch"}
# The same as SQL over a ``language`` column (an immutable expression: it may compute a
# stored generated column).
REGCONFIG_SQL = "CASE language WHEN 'nl' THEN 'dutch'::regconfig ELSE 'english'::regconfig END"

# What a case being written is reduced to: its words, at most this many.
MAX_QUERY_WORDS = 40
_WORD = re.compile(r"\w+", re.UNICODE)
# ``or`` is websearch syntax; a lone ``_`` or digit run matches nothing useful.
_SKIP = frozenset({"or"})

# ts_headline marks matches with these (private-use characters no article contains), so the
# text around them can be escaped before the marks become <mark> tags.
MARK_START = "\ue000"
MARK_STOP = "\ue001"


def suggestion_query(subject: str, description: str) -> str | None:
    """The words of a case being written as one websearch ``or`` query: an article matching
    any of them is a candidate and ranking sorts them (every word required would find
    nothing for a long description). None when no word is left."""
    seen: set[str] = set()
    words: list[str] = []
    for word in _WORD.findall(f"{subject} {description}"):
        key = word.lower()
        if len(key) < 2 or key in _SKIP or key.strip("_") == "" or key in seen:
            continue
        seen.add(key)
        words.append(key)
        if len(words) == MAX_QUERY_WORDS:
            break
    return " or ".join(words) if words else None


def safe_highlight(raw: str) -> str:
    """A headline as HTML: the article's text escaped, its matches in ``<mark>``."""
    escaped = html.escape(raw, quote=False)
    return escaped.replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")


def merged_shown(
    before: Sequence[uuid.UUID], now: Iterable[uuid.UUID], limit: int = 50
) -> list[uuid.UUID]:
    """Every article shown while one case was being written, in the order first shown
    (a suggestion asked again as the text grows adds what it newly showed)."""
    shown = list(dict.fromkeys([*before, *now]))
    return shown[:limit]


@dataclass(frozen=True, slots=True)
class Deflection:
    """How often an article was suggested and how those suggestions ended."""

    shown: int
    helpful: int
    cases_opened: int

    @property
    def deflection_rate(self) -> float | None:
        """The share of suggestions showing the article after which no case was opened."""
        if self.shown == 0:
            return None
        return round((self.shown - self.cases_opened) / self.shown, 4)

    @property
    def helpful_rate(self) -> float | None:
        """The share in which the caller said this article solved it."""
        if self.shown == 0:
            return None
        return round(self.helpful / self.shown, 4)
