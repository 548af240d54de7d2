"""Per-request context carried through logs and outgoing calls."""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
authorization_var: ContextVar[str | None] = ContextVar("authorization", default=None)
