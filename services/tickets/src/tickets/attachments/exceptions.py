"""The attachments' errors, each with its stable code."""

from __future__ import annotations

from fastapi import status

from careplane_shared.errors import CareplaneError, NotFound, ValidationFailed


class PayloadTooLarge(CareplaneError):
    status_code = status.HTTP_413_CONTENT_TOO_LARGE
    code = "ATTACHMENT_TOO_LARGE"


class AttachmentNameInvalid(ValidationFailed):
    code = "ATTACHMENT_NAME_INVALID"
    message = "The file name is not acceptable."


class AttachmentNotFound(NotFound):
    code = "ATTACHMENT_NOT_FOUND"
    message = "No such attachment."


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"Attachments are limited to {limit // (1024 * 1024)} MB; share larger files as a link "
        "(POST .../attachments/links).",
        details={"max_bytes": limit},
    )
