"""The ideas' pure rules: their statuses, what may happen to an idea in each, who is told
when it ships, and where a feature-request case may go (seed rules [001][003])."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from enum import StrEnum

from tickets.ticket.rules import Status, TicketType


class IdeaStatus(StrEnum):
    OPEN = "OPEN"
    PLANNED = "PLANNED"
    SHIPPED = "SHIPPED"


class FeatureRoute(StrEnum):
    """A paid customization goes to sales for a price proposal; a suggestion for every user
    goes to development as an idea, and its case closes."""

    SALES = "sales"
    DEVELOPMENT = "development"


class IdeaRuleError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def check_open_for_change(status: IdeaStatus) -> None:
    """A shipped idea is done: no votes, no new askers, not planned or shipped again."""
    if status is IdeaStatus.SHIPPED:
        raise IdeaRuleError("IDEA_SHIPPED", "The idea has shipped already.")


def check_plan(status: IdeaStatus, version: str | None, planned: str | None) -> None:
    check_open_for_change(status)
    if status is IdeaStatus.PLANNED and version == planned:
        raise IdeaRuleError("IDEA_UNCHANGED", "The idea is planned for this version already.")


def check_routable(ticket_type: str, ticket_status: str) -> None:
    """Only a feature-request case is routed, once it is open and before it is closed."""
    if ticket_type != TicketType.FEATURE_REQUEST.value:
        raise IdeaRuleError("NOT_A_FEATURE_REQUEST", "Only a feature-request case is routed.")
    if ticket_status == Status.CLOSED.value:
        raise IdeaRuleError("TICKET_CLOSED", "The case is closed; reopen it first.")
    if ticket_status == Status.NEW.value:
        raise IdeaRuleError("ENTITLEMENT_PENDING", "The case waits for its entitlement check.")


def told_when_shipped(
    askers: Iterable[uuid.UUID | str], voters: Iterable[uuid.UUID | str]
) -> list[str]:
    """Everyone who asked (the requesters of the cases linked to the idea) or voted, each
    once, askers first, in the order given."""
    seen: dict[str, None] = {}
    for contact in (*askers, *voters):
        seen.setdefault(str(contact), None)
    return list(seen)
