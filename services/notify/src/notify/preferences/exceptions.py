"""The errors of mail preferences and a case's watchers, each with its stable code and
status."""

from __future__ import annotations

from collections.abc import Sequence

from careplane_shared.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    ValidationFailed,
)


class ContactNotFound(NotFound):
    code = "CONTACT_NOT_FOUND"
    message = "No such contact."


class WatcherNotFound(NotFound):
    code = "WATCHER_NOT_FOUND"
    message = "That contact does not follow this case."


class ContactUnavailable(ServiceUnavailable):
    """Contracts, which knows the contacts, could not be asked; the message says why."""

    code = "CONTRACTS_UNAVAILABLE"
    message = "Contracts could not be asked about the contact."

    def __init__(self, reason: object) -> None:
        super().__init__(f"Contracts could not be asked about the contact: {reason}")


class PreferencesNotForRole(Forbidden):
    code = "ROLE_FORBIDDEN"
    message = "Only people manage mail preferences."


class PreferencesNotOwn(Forbidden):
    code = "ROLE_FORBIDDEN"
    message = "Only the contact itself or its administrators manage its preferences."


class WatchersNotForRole(Forbidden):
    code = "ROLE_FORBIDDEN"
    message = "Only people and staff manage a case's watchers."


class CategoryEssential(ValidationFailed):
    """``details`` name the essential categories asked to be switched off."""

    code = "CATEGORY_ESSENTIAL"
    message = "Essential notices cannot be switched off."

    def __init__(self, essential: Sequence[str]) -> None:
        super().__init__(details=[{"loc": ["body", "opted_out"], "msg": list(essential)}])


class UnknownCategory(ValidationFailed):
    """``details`` name the unknown categories and the known ones."""

    code = "UNKNOWN_CATEGORY"
    message = "Unknown mail categories."

    def __init__(self, unknown: Sequence[str], known: Sequence[str]) -> None:
        super().__init__(
            details=[{"loc": ["body", "opted_out"], "msg": list(unknown), "known": list(known)}]
        )


class NotAContactOfTheCustomer(ValidationFailed):
    code = "NOT_A_CONTACT_OF_THE_CUSTOMER"
    message = "A watcher must be an active contact of the case's customer."


class TicketHasNoCustomer(ValidationFailed):
    code = "TICKET_HAS_NO_CUSTOMER"
    message = "The case belongs to no customer."


class RequesterAlreadyInformed(Conflict):
    code = "REQUESTER_ALREADY_INFORMED"
    message = "The requester gets the case's mail already."
