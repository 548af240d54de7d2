"""Bearer tokens verified before, remembered until they expire.

A caller sends the same token with every request until it expires, and checking its
signature is most of what authenticating a request costs. :class:`TokenVerifier
<careplane_shared.auth.TokenVerifier>` keeps what a token was verified to be here, keyed by
the exact token string, and checks it again only when it is not remembered.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from careplane_shared.auth import Principal


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    principal: Principal
    kid: str | None
    key: Any
    """The key that verified the signature: the token stands only while it is still the
    key its source holds for ``kid``."""
    expires_at: float
    """The token's ``exp`` (seconds since the epoch): remembered until then, never longer."""


class VerifiedTokens:
    """At most ``size`` tokens, the least recently used forgotten first; each forgotten
    at its ``exp`` at the latest. ``size`` 0 remembers nothing."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._tokens: OrderedDict[str, VerifiedToken] = OrderedDict()

    def get(self, token: str) -> VerifiedToken | None:
        """The token as verified, unless it is unknown or its ``exp`` has passed."""
        verified = self._tokens.get(token)
        if verified is None:
            return None
        if time.time() >= verified.expires_at:
            self.forget(token)
            return None
        self._tokens.move_to_end(token)
        return verified

    def remember(self, token: str, verified: VerifiedToken) -> None:
        if self.size <= 0 or verified.expires_at <= time.time():
            return
        self._tokens[token] = verified
        self._tokens.move_to_end(token)
        while len(self._tokens) > self.size:
            self._tokens.popitem(last=False)

    def forget(self, token: str) -> None:
        self._tokens.pop(token, None)

    def __len__(self) -> int:
        return len(self._tokens)
