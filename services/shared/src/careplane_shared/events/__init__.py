"""CloudEvents 1.0 envelopes, the transactional outbox, its relay and the idempotent inbox.

Each service calls :func:`outbox_table` / :func:`inbox_table` on its own metadata, so
the tables live in the service's own database and migrations; this library owns none.

- ``envelope``: the event and the one-or-batch request body.
- ``outbox``: writing events in the caller's transaction.
- ``relay``: posting them, one batch per destination and round, with leases and backoff.
- ``inbox``: ``POST /v1/events``, each event kept and acted on once.
"""

from careplane_shared.events.envelope import (
    CLOUDEVENTS_BATCH_CONTENT_TYPE,
    CLOUDEVENTS_CONTENT_TYPE,
    CloudEvent,
    OneOrBatch,
    new_event,
)
from careplane_shared.events.inbox import (
    EventHandler,
    Inbox,
    InboxAck,
    InboxBatchAck,
    InboxError,
    inbox_router,
    inbox_table,
)
from careplane_shared.events.outbox import Outbox, outbox_table
from careplane_shared.events.relay import OutboxRelay, backoff_seconds

__all__ = [
    "CLOUDEVENTS_BATCH_CONTENT_TYPE",
    "CLOUDEVENTS_CONTENT_TYPE",
    "CloudEvent",
    "EventHandler",
    "Inbox",
    "InboxAck",
    "InboxBatchAck",
    "InboxError",
    "OneOrBatch",
    "Outbox",
    "OutboxRelay",
    "backoff_seconds",
    "inbox_router",
    "inbox_table",
    "new_event",
    "outbox_table",
]
