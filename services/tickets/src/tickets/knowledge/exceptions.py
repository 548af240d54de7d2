"""The knowledge base's errors, each with its stable code."""

from __future__ import annotations

from careplane_shared.errors import Conflict, Forbidden, NotFound, ValidationFailed


class ArticleNotFound(NotFound):
    """The same answer for an article that does not exist and one the caller may not read
    (a draft, an internal or archived article for a customer)."""

    code = "ARTICLE_NOT_FOUND"
    message = "No such article."


class SlugTaken(Conflict):
    code = "ARTICLE_SLUG_TAKEN"
    message = "An article in this language has this slug already."


class NothingToPublish(Conflict):
    code = "ARTICLE_NO_DRAFT"
    message = "The article has no draft to publish."


class ArticleArchived(Conflict):
    code = "ARTICLE_ARCHIVED"
    message = "The article is archived."


class KnowledgeForbidden(Forbidden):
    code = "KNOWLEDGE_FORBIDDEN"
    message = "Only the vendor's staff write, publish and link articles."


class SuggestionNotFound(NotFound):
    """The same answer for a suggestion that does not exist and another caller's."""

    code = "SUGGESTION_NOT_FOUND"
    message = "No such suggestion."


class SuggestionClosed(Conflict):
    """A case was opened after the suggestion already: it can be neither marked helpful nor
    used for another case."""

    code = "SUGGESTION_CLOSED"
    message = "A case was opened from this suggestion already."


class ArticleNotSuggested(ValidationFailed):
    code = "ARTICLE_NOT_SUGGESTED"
    message = "This article was not among the suggestion's articles."


class LinkNotFound(NotFound):
    code = "KNOWLEDGE_LINK_NOT_FOUND"
    message = "The article is not linked to this case."
