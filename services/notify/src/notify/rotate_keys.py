"""``python -m notify.rotate_keys``: reseal every stored secret with the first key.

Run it after putting a new key first in ``NOTIFY_ENCRYPTION_KEYS`` (the old ones after it);
once it reports nothing unreadable, the old keys may be removed. It also seals plaintext
written before encryption existed. Every start of notify with workers does the same in the
background; this command is for doing it now and seeing the result.
"""

from __future__ import annotations

import asyncio
import sys

from careplane_shared.db import create_database
from notify.config import NotifySettings
from notify.encryption import ResealResult, reseal_stored_secrets


async def rotate(settings: NotifySettings) -> ResealResult:
    database = create_database(settings)
    try:
        return await reseal_stored_secrets(database.sessionmaker, settings.secret_box())
    finally:
        await database.dispose()


def main() -> int:
    result = asyncio.run(rotate(NotifySettings()))
    print(
        f"resealed: {result.webhook_endpoints} webhook endpoints, "
        f"{result.chat_channels} chat channels; unreadable: {result.unreadable}"
    )
    return 1 if result.unreadable else 0


if __name__ == "__main__":
    sys.exit(main())
