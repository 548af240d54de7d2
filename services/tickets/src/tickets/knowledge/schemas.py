"""What the knowledge base's routes take and answer."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from tickets.knowledge.rules import ArticleStatus, Language, Outcome, VersionState, Visibility

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class ArticleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(min_length=1, max_length=120, pattern=SLUG, examples=["reset-password"])
    language: Language
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=200_000, description="Markdown or plain text.")
    product_id: uuid.UUID | None = Field(default=None, description="Null: any product.")
    visibility: Visibility = Visibility.PUBLIC


class ArticleUpdate(BaseModel):
    """Title and body change the draft (made from the published text when there is none);
    the published version stays served until the draft is published. Slug, product and
    visibility are the article's and change at once."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=300)
    body: str | None = Field(default=None, min_length=1, max_length=200_000)
    slug: str | None = Field(default=None, min_length=1, max_length=120, pattern=SLUG)
    product_id: uuid.UUID | None = None
    visibility: Visibility | None = None


class VersionRead(BaseModel):
    id: uuid.UUID
    number: int
    state: VersionState
    title: str
    body: str
    author_id: str
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class ArticleRead(BaseModel):
    id: uuid.UUID
    slug: str
    language: Language
    product_id: uuid.UUID | None
    visibility: Visibility
    status: ArticleStatus
    title: str = Field(description="The published title; a never published draft's for staff.")
    body: str
    published: VersionRead | None = Field(description="What customers read.")
    draft: VersionRead | None = Field(description="Staff only: the text being edited.")
    created_at: datetime
    updated_at: datetime


class ArticleHit(BaseModel):
    """An article in a list or search: with its rank and highlights when searched."""

    id: uuid.UUID
    slug: str
    language: Language
    product_id: uuid.UUID | None
    visibility: Visibility
    status: ArticleStatus
    title: str
    rank: float | None = Field(description="ts_rank_cd of the search; null without one.")
    title_highlight: str | None = Field(
        description="The title as HTML, matches in <mark>; null without a search."
    )
    highlight: str | None = Field(
        description="Fragments of the body as HTML, matches in <mark>; null without a search."
    )
    updated_at: datetime


class SuggestionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=100_000)
    language: Language | None = Field(default=None, description="Null: articles of any language.")
    product_id: uuid.UUID | None = Field(
        default=None, description="Articles of this product and those of no product."
    )
    suggestion_id: uuid.UUID | None = Field(
        default=None,
        description=(
            "The suggestion given earlier for the same case being written: it records what is "
            "shown now too, instead of a new record."
        ),
    )
    limit: int = Field(default=5, ge=1, le=20)


class SuggestionRead(BaseModel):
    suggestion_id: uuid.UUID | None = Field(
        description=(
            "The record of what was shown (customer-side callers): pass it when opening the "
            "case, or to mark an article helpful. Null for the vendor's side (not recorded)."
        )
    )
    items: list[ArticleHit]


class HelpfulMark(BaseModel):
    model_config = ConfigDict(extra="forbid")

    article_id: uuid.UUID


class SuggestionOutcome(BaseModel):
    suggestion_id: uuid.UUID
    outcome: Outcome
    helpful_article_id: uuid.UUID | None
    ticket_id: uuid.UUID | None
    shown_article_ids: list[uuid.UUID]


class LinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    article_id: uuid.UUID


class LinkRead(BaseModel):
    ticket_id: uuid.UUID
    article_id: uuid.UUID
    slug: str
    language: Language
    title: str
    linked_by: str | None = Field(description="Staff only.")
    created_at: datetime


class DeflectionRow(BaseModel):
    article_id: uuid.UUID
    slug: str
    language: Language
    title: str
    shown: int = Field(description="Suggestions that showed the article.")
    helpful: int = Field(description="Of those, the caller said this article solved it.")
    cases_opened: int = Field(description="Of those, a case was opened all the same.")
    deflection_rate: float | None = Field(
        description="(shown - cases_opened) / shown; null when never shown."
    )
    helpful_rate: float | None


class DeflectionReport(BaseModel):
    period_from: datetime | None
    period_to: datetime | None
    suggestions: int
    cases_opened: int
    deflected: int
    articles: list[DeflectionRow]
