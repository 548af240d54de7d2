"""The ideas' errors, each with its stable code."""

from __future__ import annotations

from careplane_shared.errors import Conflict, Forbidden, NotFound, ValidationFailed


class IdeaNotFound(NotFound):
    """Also for an idea that is not public, asked by a customer's caller."""

    code = "IDEA_NOT_FOUND"
    message = "No such idea."


class AlreadyVoted(Conflict):
    code = "ALREADY_VOTED"
    message = "This contact has voted for this idea already."


class VoteNotFound(NotFound):
    code = "VOTE_NOT_FOUND"
    message = "This contact has not voted for this idea."


class ContactsVote(Forbidden):
    code = "VOTE_FORBIDDEN"
    message = "Only a customer's contacts vote for ideas."


class AlreadyRouted(Conflict):
    code = "FEATURE_REQUEST_ROUTED"
    message = "This feature request has been routed already."


class RouteInvalid(ValidationFailed):
    """Sales takes no idea; development takes an existing idea to merge into or a new one
    worded by staff: exactly one of the two."""

    code = "FEATURE_ROUTE_INVALID"
    message = "Development takes idea_id (merge) or idea (new), one of them; sales neither."
