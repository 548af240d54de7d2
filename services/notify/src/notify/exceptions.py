"""Errors every domain of notify answers alike; each domain's own are in its
``exceptions`` module."""

from __future__ import annotations

from careplane_shared.errors import Forbidden


class NotificationsNotForRole(Forbidden):
    code = "ROLE_FORBIDDEN"
    message = "Your role may not manage notifications."
