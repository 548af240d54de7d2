"""The errors of the dev mailbox, each with its stable code and status."""

from __future__ import annotations

from careplane_shared.errors import NotFound


class MailboxDisabled(NotFound):
    code = "MAILBOX_DISABLED"
    message = "The dev mailbox is not enabled."


class MailNotFound(NotFound):
    code = "MAIL_NOT_FOUND"
    message = "No such mail."
