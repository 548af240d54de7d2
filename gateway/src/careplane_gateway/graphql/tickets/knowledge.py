"""The knowledge base's root fields: search and read articles, suggestions for a case being
written (and marking the one that helped), staff writing, publishing and linking articles
to cases, and the deflection report. Refusals carry tickets' own codes
(ARTICLE_NOT_FOUND, KNOWLEDGE_FORBIDDEN, SUGGESTION_NOT_FOUND, SUGGESTION_CLOSED, ...)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from careplane_gateway.graphql.arguments import optional_uuid_arg, present, uuid_arg
from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.contracts.enums import Language
from careplane_gateway.graphql.pagination import After, Connection, First, PageRequest, connection
from careplane_gateway.graphql.tickets.knowledge_types import (
    CreateKnowledgeArticleInput,
    KnowledgeArticle,
    KnowledgeArticleStatus,
    KnowledgeDeflectionReport,
    KnowledgeHit,
    KnowledgeLink,
    KnowledgeSuggestionRecord,
    KnowledgeSuggestions,
    KnowledgeVersion,
    UpdateKnowledgeArticleInput,
)

ARTICLES = "/v1/knowledge/articles"

ArticleId = Annotated[strawberry.ID, strawberry.argument(description="The article's `id`.")]
TicketId = Annotated[strawberry.ID, strawberry.argument(description="The case's `id`.")]
ArticleLanguage = Annotated[
    Language | None, strawberry.argument(description="Only articles in this language.")
]
ProductId = Annotated[
    strawberry.ID | None,
    strawberry.argument(description="This product's articles and those of no product."),
]


def _article_path(id: strawberry.ID, argument: str = "id") -> str:
    return f"{ARTICLES}/{uuid_arg(id, argument)}"


@strawberry.type
class KnowledgeQuery:
    @strawberry.field(
        description=(
            "Knowledge base articles. With `search` (web-search syntax, stemmed per "
            "language): best match first, with highlights; without: most recently changed "
            "first. A customer's callers find published public articles only."
        )
    )
    async def knowledge_articles(
        self,
        info: Info,
        search: Annotated[
            str | None, strawberry.argument(description="Words to find, e.g. reset password.")
        ] = None,
        language: ArticleLanguage = None,
        product_id: ProductId = None,
        status: Annotated[
            KnowledgeArticleStatus | None, strawberry.argument(description="Staff: only these.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[KnowledgeHit]:
        page = PageRequest.of(first, after)
        params = present(
            {
                "search": search,
                "language": language.value if language else None,
                "product_id": optional_uuid_arg(product_id, "productId"),
                "status": status.value if status else None,
                **page.params(),
            }
        )
        body = await info.context.tickets.get(ARTICLES, params=params)
        return connection(body, page, KnowledgeHit.from_rest)

    @strawberry.field(
        description=(
            "One article (ARTICLE_NOT_FOUND for one the caller may not read, as for one that "
            "does not exist)."
        )
    )
    async def knowledge_article(self, info: Info, id: ArticleId) -> KnowledgeArticle | None:
        return KnowledgeArticle.from_rest(await info.context.tickets.get(_article_path(id)))

    @strawberry.field(description="An article's versions, newest first (staff: all of them).")
    async def knowledge_article_versions(self, info: Info, id: ArticleId) -> list[KnowledgeVersion]:
        rows = await info.context.tickets.get(f"{_article_path(id)}/versions")
        return [KnowledgeVersion.from_rest(row) for row in rows]

    @strawberry.field(
        description=(
            "Published articles for a case being written, best match first, so a customer "
            "can help itself first. For a customer's callers it records what was shown: "
            "pass `suggestionId` back while the same case is written."
        )
    )
    async def knowledge_suggestions(
        self,
        info: Info,
        subject: Annotated[str, strawberry.argument(description="The case's subject so far.")],
        description: Annotated[
            str, strawberry.argument(description="The case's description so far.")
        ] = "",
        language: ArticleLanguage = None,
        product_id: ProductId = None,
        suggestion_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The earlier suggestion for the same case."),
        ] = None,
        first: Annotated[
            int | None, strawberry.argument(description="At most this many (1-20, 5 if unset).")
        ] = None,
    ) -> KnowledgeSuggestions:
        body = present(
            {
                "subject": subject,
                "description": description,
                "language": language.value if language else None,
                "product_id": optional_uuid_arg(product_id, "productId"),
                "suggestion_id": optional_uuid_arg(suggestion_id, "suggestionId"),
                "limit": first,
            }
        )
        row = await info.context.tickets.post("/v1/knowledge/suggestions", json=body)
        return KnowledgeSuggestions.from_rest(row)

    @strawberry.field(description="The caller's own suggestion: what it showed, how it ended.")
    async def knowledge_suggestion(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The `suggestionId`.")],
    ) -> KnowledgeSuggestionRecord | None:
        row = await info.context.tickets.get(f"/v1/knowledge/suggestions/{uuid_arg(id, 'id')}")
        return KnowledgeSuggestionRecord.from_rest(row)

    @strawberry.field(
        description=(
            "The articles linked to a case (TICKET_NOT_FOUND as for `ticketById`); a "
            "customer's callers see those to published public articles."
        )
    )
    async def knowledge_links(self, info: Info, ticket_id: TicketId) -> list[KnowledgeLink]:
        rows = await info.context.tickets.get(
            f"/v1/tickets/{uuid_arg(ticket_id, 'ticketId')}/knowledge-links"
        )
        return [KnowledgeLink.from_rest(row) for row in rows]

    @strawberry.field(
        description=(
            "Staff: the suggestions made in [from, to) and, per article, how often it was "
            "shown, marked helpful and followed by a case all the same (its deflection rate)."
        )
    )
    async def knowledge_deflection_report(
        self,
        info: Info,
        from_: Annotated[
            datetime | None,
            strawberry.argument(name="from", description="Suggestions made at or after it."),
        ] = None,
        to: Annotated[
            datetime | None, strawberry.argument(description="Suggestions made before it.")
        ] = None,
        language: ArticleLanguage = None,
    ) -> KnowledgeDeflectionReport:
        params = present(
            {
                "from": from_.isoformat() if from_ else None,
                "to": to.isoformat() if to else None,
                "language": language.value if language else None,
            }
        )
        row = await info.context.tickets.get("/v1/knowledge/report", params=params)
        return KnowledgeDeflectionReport.from_rest(row)


@strawberry.type
class KnowledgeMutation:
    @strawberry.mutation(description="Staff: writes a new article, a draft until published.")
    async def create_knowledge_article(
        self,
        info: Info,
        input: Annotated[
            CreateKnowledgeArticleInput, strawberry.argument(description="The new article.")
        ],
    ) -> KnowledgeArticle:
        row = await info.context.tickets.post(ARTICLES, json=input.to_rest())
        return KnowledgeArticle.from_rest(row)

    @strawberry.mutation(
        description=(
            "Staff: title and body change the draft (customers keep reading the published "
            "version); slug, product and visibility change at once."
        )
    )
    async def update_knowledge_article(
        self,
        info: Info,
        id: ArticleId,
        input: Annotated[
            UpdateKnowledgeArticleInput, strawberry.argument(description="What changes.")
        ],
    ) -> KnowledgeArticle:
        row = await info.context.tickets.request("PATCH", _article_path(id), json=input.to_rest())
        return KnowledgeArticle.from_rest(row)

    @strawberry.mutation(
        description=(
            "Staff: the draft becomes the published version; the one it replaces is kept as "
            "history (ARTICLE_NO_DRAFT when there is nothing to publish)."
        )
    )
    async def publish_knowledge_article(self, info: Info, id: ArticleId) -> KnowledgeArticle:
        row = await info.context.tickets.post(f"{_article_path(id)}/publish")
        return KnowledgeArticle.from_rest(row)

    @strawberry.mutation(description="Staff: no longer served nor suggested.")
    async def archive_knowledge_article(self, info: Info, id: ArticleId) -> KnowledgeArticle:
        row = await info.context.tickets.post(f"{_article_path(id)}/archive")
        return KnowledgeArticle.from_rest(row)

    @strawberry.mutation(description="Staff: links an article to a case (once).")
    async def link_knowledge_article(
        self, info: Info, ticket_id: TicketId, article_id: ArticleId
    ) -> KnowledgeLink:
        row = await info.context.tickets.post(
            f"/v1/tickets/{uuid_arg(ticket_id, 'ticketId')}/knowledge-links",
            json={"article_id": uuid_arg(article_id, "articleId")},
        )
        return KnowledgeLink.from_rest(row)

    @strawberry.mutation(description="Staff: unlinks an article from a case; answers its id.")
    async def unlink_knowledge_article(
        self, info: Info, ticket_id: TicketId, article_id: ArticleId
    ) -> strawberry.ID:
        article = uuid_arg(article_id, "articleId")
        await info.context.tickets.request(
            "DELETE", f"/v1/tickets/{uuid_arg(ticket_id, 'ticketId')}/knowledge-links/{article}"
        )
        return strawberry.ID(article)

    @strawberry.mutation(
        description=(
            '"This solved it": the article of the caller\'s own suggestion that helped, so '
            "the case need not be opened (SUGGESTION_CLOSED once a case was opened from it)."
        )
    )
    async def mark_knowledge_helpful(
        self,
        info: Info,
        suggestion_id: Annotated[
            strawberry.ID, strawberry.argument(description="The `suggestionId`.")
        ],
        article_id: ArticleId,
    ) -> KnowledgeSuggestionRecord:
        row = await info.context.tickets.post(
            f"/v1/knowledge/suggestions/{uuid_arg(suggestion_id, 'suggestionId')}/helpful",
            json={"article_id": uuid_arg(article_id, "articleId")},
        )
        return KnowledgeSuggestionRecord.from_rest(row)
