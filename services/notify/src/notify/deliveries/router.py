from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from careplane_shared.db import DbSession
from careplane_shared.pagination import Page, PageParamsDep
from notify.deliveries import service
from notify.deliveries.schemas import (
    AttemptRead,
    ChannelKind,
    DeliveryDetail,
    DeliveryRead,
    DeliveryStatus,
    RecoverRequest,
    RecoverResult,
)
from notify.deps import ScopeDep
from notify.event_privacy import shown
from notify.invitations import REDACTED, SEALED_TOKEN


def shown_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """An invitation's token, even sealed, is shown to nobody: it lets its holder sign in.
    Nor is the trace context (:func:`notify.event_privacy.shown`)."""
    return {k: REDACTED if k == SEALED_TOKEN else v for k, v in shown(payload).items()}


router = APIRouter(prefix="/v1/deliveries", tags=["deliveries"])


@router.get("", response_model=Page[DeliveryRead], summary="List deliveries.")
async def list_deliveries(
    session: DbSession,
    scope: ScopeDep,
    page: PageParamsDep,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    channel: Annotated[ChannelKind | None, Query()] = None,
    event_type: Annotated[str | None, Query(max_length=200)] = None,
    event_id: Annotated[str | None, Query(max_length=200)] = None,
    endpoint_id: uuid.UUID | None = None,
    customer_id: uuid.UUID | None = None,
    since: Annotated[datetime | None, Query(description="Created at or after.")] = None,
    until: Annotated[datetime | None, Query(description="Created before.")] = None,
) -> Page[DeliveryRead]:
    """Every delivery is on record, newest first, with its status and attempt count.
    A customer's administrators and keys see their own customer's."""
    rows, total = await service.list_deliveries(
        session,
        scope,
        filters={
            "status": status,
            "channel": channel,
            "event_type": event_type,
            "event_id": event_id,
            "endpoint_id": endpoint_id,
            "customer_id": customer_id,
        },
        since=since,
        until=until,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(
        items=[DeliveryRead.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/recover", response_model=RecoverResult, summary="Queue failed deliveries again.")
async def recover(body: RecoverRequest, session: DbSession, scope: ScopeDep) -> RecoverResult:
    """Every failed or dead delivery created since `since` (optionally before `until`, for
    one endpoint or channel) is queued again at once with a fresh retry schedule."""
    count = await service.recover(
        session,
        scope,
        since=body.since,
        until=body.until,
        endpoint_id=body.endpoint_id,
        channel=body.channel,
    )
    return RecoverResult(requeued=count)


@router.get("/{delivery_id}", response_model=DeliveryDetail, summary="One delivery, attempts.")
async def get_delivery(
    delivery_id: uuid.UUID, session: DbSession, scope: ScopeDep
) -> DeliveryDetail:
    """The delivery with what it carries and every attempt, oldest first."""
    delivery = await service.get(session, scope, delivery_id)
    attempts = await service.attempts_of(session, delivery.id)
    return DeliveryDetail(
        **DeliveryRead.model_validate(delivery).model_dump(),
        payload=shown_payload(delivery.payload),
        attempt_log=[AttemptRead.model_validate(a) for a in attempts],
    )


@router.post("/{delivery_id}/resend", response_model=DeliveryRead, summary="Send again.")
async def resend(delivery_id: uuid.UUID, session: DbSession, scope: ScopeDep) -> DeliveryRead:
    """Queues the delivery again at once, whatever its state, with a fresh retry schedule.
    A webhook keeps its webhook-id, so a receiver that already has it can drop the copy."""
    return DeliveryRead.model_validate(await service.resend(session, scope, delivery_id))
