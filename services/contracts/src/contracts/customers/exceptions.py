"""The errors of customers, their contacts, invitations and support centers, each with its
stable code and status."""

from __future__ import annotations

from careplane_shared.errors import Conflict, Forbidden, NotFound, ValidationFailed


class CustomerNotFound(NotFound):
    code = "CUSTOMER_NOT_FOUND"
    message = "No such customer."


class ContactNotFound(NotFound):
    code = "CONTACT_NOT_FOUND"
    message = "No such contact."


class SupportCenterNotFound(NotFound):
    code = "SUPPORT_CENTER_NOT_FOUND"
    message = "No such support center."


class InvitationNotFound(NotFound):
    code = "INVITATION_NOT_FOUND"
    message = "No such invitation, or it has expired or been used."


class ExternalIdTaken(Conflict):
    """Which customer holds the id is told to staff only (``details.customer_id``)."""

    code = "EXTERNAL_ID_TAKEN"
    message = "A customer with this external id exists."


class ContactEmailTaken(Conflict):
    code = "CONTACT_EMAIL_TAKEN"
    message = "A contact with this email exists."


class ContactNotPending(Conflict):
    code = "CONTACT_NOT_PENDING"
    message = "The contact has accepted its invitation."


class EmailAlreadyRegistered(Conflict):
    code = "EMAIL_ALREADY_REGISTERED"
    message = (
        "This email address already belongs to an account. Sign in with that account, or "
        "ask the administrator who invited you to invite another address."
    )


class SupportCenterCodeTaken(Conflict):
    code = "SUPPORT_CENTER_CODE_TAKEN"
    message = "A support center with this code exists."


class ContactsForbidden(Forbidden):
    """The caller sees the customer and its contacts (other customers' are 404 before
    this), so saying "not found" would be untrue: it is the role that may not."""

    code = "ROLE_FORBIDDEN"
    message = "Only the customer's administrators manage its contacts."


class PasswordNeedsPerson(Forbidden):
    """A key setting a person's password could sign in as that person (and so reach what
    only people may do, such as managing API keys)."""

    code = "HUMAN_REQUIRED"
    message = "Only people signed in set passwords."


class PasswordNotAllowed(ValidationFailed):
    code = "PASSWORD_NOT_ALLOWED"
    message = "An invited contact chooses its own password when it accepts the invitation."
