"""The errors of announcements, each with its stable code and status."""

from __future__ import annotations

from careplane_shared.errors import NotFound


class AnnouncementNotFound(NotFound):
    code = "ANNOUNCEMENT_NOT_FOUND"
    message = "No such announcement."
