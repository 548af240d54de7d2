"""The knowledge base's GraphQL types, mirroring tickets' ``/v1/knowledge`` answers."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.types.unset import UNSET

from careplane_gateway.graphql.arguments import given, optional_uuid_arg
from careplane_gateway.graphql.contracts.enums import Language
from careplane_gateway.graphql.convert import Row, optional_datetime, optional_id, to_id


@strawberry.enum(description="Who reads an article once it is published.")
class KnowledgeVisibility(Enum):
    PUBLIC = strawberry.enum_value("public", description="Every customer's people.")
    INTERNAL = strawberry.enum_value("internal", description="The vendor's staff only.")


@strawberry.enum(description="Where an article is in its life.")
class KnowledgeArticleStatus(Enum):
    DRAFT = strawberry.enum_value("draft", description="Never published: staff only.")
    PUBLISHED = strawberry.enum_value("published", description="Served and suggested.")
    ARCHIVED = strawberry.enum_value(
        "archived", description="No longer served nor suggested; staff still read it."
    )


@strawberry.enum(description="One version's place in an article's history.")
class KnowledgeVersionState(Enum):
    DRAFT = strawberry.enum_value("draft", description="Being edited.")
    PUBLISHED = strawberry.enum_value("published", description="What customers read.")
    SUPERSEDED = strawberry.enum_value("superseded", description="Was published; history.")


@strawberry.enum(description="How a suggestion ended.")
class SuggestionOutcome(Enum):
    PENDING = strawberry.enum_value("pending", description="Nothing known yet.")
    DEFLECTED = strawberry.enum_value(
        "deflected", description="The caller said an article solved it."
    )
    CASE_OPENED = strawberry.enum_value(
        "case_opened", description="The case was opened all the same."
    )


@strawberry.type(description="One text of an article.")
class KnowledgeVersion:
    id: strawberry.ID = strawberry.field(description="The version's ID.")
    number: int = strawberry.field(description="1 for the first text, then counting up.")
    state: KnowledgeVersionState = strawberry.field(description="Draft, published or history.")
    title: str = strawberry.field(description="The title.")
    body: str = strawberry.field(description="The text, markdown or plain.")
    author_id: str = strawberry.field(description="Who last wrote it.")
    updated_at: datetime = strawberry.field(description="When it was last changed.")
    published_at: datetime | None = strawberry.field(description="When it was published.")

    @classmethod
    def from_rest(cls, row: Row) -> KnowledgeVersion:
        return cls(
            id=to_id(row["id"]),
            number=int(row["number"]),
            state=KnowledgeVersionState(row["state"]),
            title=row["title"],
            body=row["body"],
            author_id=row["author_id"],
            updated_at=datetime.fromisoformat(row["updated_at"]),
            published_at=optional_datetime(row.get("published_at")),
        )


def _optional_version(row: Row | None) -> KnowledgeVersion | None:
    return None if row is None else KnowledgeVersion.from_rest(row)


@strawberry.type(description="A knowledge base article, as the caller may read it.")
class KnowledgeArticle:
    id: strawberry.ID = strawberry.field(description="The article's ID.")
    slug: str = strawberry.field(description="Its name in links, unique per language.")
    language: Language = strawberry.field(description="English or Dutch.")
    product_id: strawberry.ID | None = strawberry.field(description="Null: any product.")
    visibility: KnowledgeVisibility = strawberry.field(description="Public or internal.")
    status: KnowledgeArticleStatus = strawberry.field(description="Draft, published, archived.")
    title: str = strawberry.field(description="The published title (a new draft's for staff).")
    body: str = strawberry.field(description="The published text (a new draft's for staff).")
    published: KnowledgeVersion | None = strawberry.field(description="What customers read.")
    draft: KnowledgeVersion | None = strawberry.field(
        description="Staff only: the text being edited, not yet served."
    )
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_rest(cls, row: Row) -> KnowledgeArticle:
        return cls(
            id=to_id(row["id"]),
            slug=row["slug"],
            language=Language(row["language"]),
            product_id=optional_id(row.get("product_id")),
            visibility=KnowledgeVisibility(row["visibility"]),
            status=KnowledgeArticleStatus(row["status"]),
            title=row["title"],
            body=row["body"],
            published=_optional_version(row.get("published")),
            draft=_optional_version(row.get("draft")),
            updated_at=datetime.fromisoformat(row["updated_at"]),
        )


@strawberry.type(description="An article found by a search or suggested, with highlights.")
class KnowledgeHit:
    id: strawberry.ID = strawberry.field(description="The article's ID.")
    slug: str = strawberry.field(description="Its name in links.")
    language: Language = strawberry.field(description="English or Dutch.")
    product_id: strawberry.ID | None = strawberry.field(description="Null: any product.")
    visibility: KnowledgeVisibility = strawberry.field(description="Public or internal.")
    status: KnowledgeArticleStatus = strawberry.field(description="Draft, published, archived.")
    title: str = strawberry.field(description="Its title.")
    rank: float | None = strawberry.field(description="How well it matched; null unsearched.")
    title_highlight: str | None = strawberry.field(
        description="The title as HTML with the matches in <mark>; null unsearched."
    )
    highlight: str | None = strawberry.field(
        description="Fragments of the text as HTML with the matches in <mark>; null unsearched."
    )
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_rest(cls, row: Row) -> KnowledgeHit:
        rank = row.get("rank")
        return cls(
            id=to_id(row["id"]),
            slug=row["slug"],
            language=Language(row["language"]),
            product_id=optional_id(row.get("product_id")),
            visibility=KnowledgeVisibility(row["visibility"]),
            status=KnowledgeArticleStatus(row["status"]),
            title=row["title"],
            rank=None if rank is None else float(rank),
            title_highlight=row.get("title_highlight"),
            highlight=row.get("highlight"),
            updated_at=datetime.fromisoformat(row["updated_at"]),
        )


@strawberry.type(description="Articles suggested for a case being written.")
class KnowledgeSuggestions:
    suggestion_id: strawberry.ID | None = strawberry.field(
        description=(
            "The record of what was shown (customer-side callers; null for staff): pass it "
            "again while the same case is written, as `suggestionId` of `openTicket`, or to "
            "`markKnowledgeHelpful`."
        )
    )
    articles: list[KnowledgeHit] = strawberry.field(description="Best match first.")

    @classmethod
    def from_rest(cls, row: Row) -> KnowledgeSuggestions:
        return cls(
            suggestion_id=optional_id(row.get("suggestion_id")),
            articles=[KnowledgeHit.from_rest(item) for item in row["items"]],
        )


@strawberry.type(description="What a suggestion showed and how it ended.")
class KnowledgeSuggestionRecord:
    suggestion_id: strawberry.ID = strawberry.field(description="The suggestion's ID.")
    outcome: SuggestionOutcome = strawberry.field(description="Pending, deflected, case opened.")
    helpful_article_id: strawberry.ID | None = strawberry.field(
        description="The article the caller said solved it."
    )
    ticket_id: strawberry.ID | None = strawberry.field(description="The case opened after it.")
    shown_article_ids: list[strawberry.ID] = strawberry.field(
        description="Every article shown, in the order first shown."
    )

    @classmethod
    def from_rest(cls, row: Row) -> KnowledgeSuggestionRecord:
        return cls(
            suggestion_id=to_id(row["suggestion_id"]),
            outcome=SuggestionOutcome(row["outcome"]),
            helpful_article_id=optional_id(row.get("helpful_article_id")),
            ticket_id=optional_id(row.get("ticket_id")),
            shown_article_ids=[to_id(i) for i in row["shown_article_ids"]],
        )


@strawberry.type(description="An article linked to a case by staff.")
class KnowledgeLink:
    ticket_id: strawberry.ID = strawberry.field(description="The case.")
    article_id: strawberry.ID = strawberry.field(description="The article.")
    slug: str = strawberry.field(description="The article's slug.")
    language: Language = strawberry.field(description="The article's language.")
    title: str = strawberry.field(description="The article's title.")
    linked_by: str | None = strawberry.field(description="Staff only: who linked it.")
    created_at: datetime = strawberry.field(description="When it was linked.")

    @classmethod
    def from_rest(cls, row: Row) -> KnowledgeLink:
        return cls(
            ticket_id=to_id(row["ticket_id"]),
            article_id=to_id(row["article_id"]),
            slug=row["slug"],
            language=Language(row["language"]),
            title=row["title"],
            linked_by=row.get("linked_by"),
            created_at=datetime.fromisoformat(row["created_at"]),
        )


@strawberry.type(description="How often one article was suggested and how that ended.")
class KnowledgeDeflectionRow:
    article_id: strawberry.ID = strawberry.field(description="The article.")
    slug: str = strawberry.field(description="Its slug.")
    language: Language = strawberry.field(description="Its language.")
    title: str = strawberry.field(description="Its title.")
    shown: int = strawberry.field(description="Suggestions that showed it.")
    helpful: int = strawberry.field(description="Of those, marked as what solved it.")
    cases_opened: int = strawberry.field(description="Of those, followed by a case.")
    deflection_rate: float | None = strawberry.field(
        description="(shown - casesOpened) / shown; null when never shown."
    )
    helpful_rate: float | None = strawberry.field(description="helpful / shown.")

    @classmethod
    def from_rest(cls, row: Row) -> KnowledgeDeflectionRow:
        return cls(
            article_id=to_id(row["article_id"]),
            slug=row["slug"],
            language=Language(row["language"]),
            title=row["title"],
            shown=int(row["shown"]),
            helpful=int(row["helpful"]),
            cases_opened=int(row["cases_opened"]),
            deflection_rate=row.get("deflection_rate"),
            helpful_rate=row.get("helpful_rate"),
        )


@strawberry.type(description="Staff: suggestions of a period and their deflection per article.")
class KnowledgeDeflectionReport:
    suggestions: int = strawberry.field(description="Suggestion records in the period.")
    cases_opened: int = strawberry.field(description="Of those, followed by a case.")
    deflected: int = strawberry.field(description="Of those, marked as solved by an article.")
    articles: list[KnowledgeDeflectionRow] = strawberry.field(description="Most shown first.")

    @classmethod
    def from_rest(cls, row: Row) -> KnowledgeDeflectionReport:
        return cls(
            suggestions=int(row["suggestions"]),
            cases_opened=int(row["cases_opened"]),
            deflected=int(row["deflected"]),
            articles=[KnowledgeDeflectionRow.from_rest(item) for item in row["articles"]],
        )


@strawberry.input(description="A new article: a draft until published.")
class CreateKnowledgeArticleInput:
    slug: str = strawberry.field(description="Lower-case words joined by hyphens.")
    language: Language = strawberry.field(description="English or Dutch.")
    title: str = strawberry.field(description="The title.")
    body: str = strawberry.field(description="The text, markdown or plain.")
    product_id: strawberry.ID | None = strawberry.field(
        default=None, description="Null: any product."
    )
    visibility: KnowledgeVisibility = strawberry.field(
        default=KnowledgeVisibility.PUBLIC, description="PUBLIC if unset."
    )

    def to_rest(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "language": self.language.value,
            "title": self.title,
            "body": self.body,
            "product_id": optional_uuid_arg(self.product_id, "input.productId"),
            "visibility": self.visibility.value,
        }


@strawberry.input(description="Changes to an article; fields left out stay as they are.")
class UpdateKnowledgeArticleInput:
    title: str | None = strawberry.field(default=UNSET, description="The draft's new title.")
    body: str | None = strawberry.field(default=UNSET, description="The draft's new text.")
    slug: str | None = strawberry.field(default=UNSET, description="A new slug (at once).")
    product_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="Another product (at once); null: any product."
    )
    visibility: KnowledgeVisibility | None = strawberry.field(
        default=UNSET, description="Public or internal (at once)."
    )

    def to_rest(self) -> dict[str, Any]:
        body = given(
            {
                "title": self.title,
                "body": self.body,
                "slug": self.slug,
                "product_id": self.product_id,
                "visibility": self.visibility,
            }
        )
        if body.get("product_id") is not None:
            body["product_id"] = optional_uuid_arg(body["product_id"], "input.productId")
        if isinstance(body.get("visibility"), KnowledgeVisibility):
            body["visibility"] = body["visibility"].value
        return body
