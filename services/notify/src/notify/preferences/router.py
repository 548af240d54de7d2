from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from careplane_shared.auth import CurrentPrincipal
from careplane_shared.db import DbSession
from notify.deps import ContractsDep, TicketsDep
from notify.preferences import service
from notify.preferences.schemas import (
    PreferencesRead,
    PreferencesUpdate,
    WatcherCreate,
    WatcherRead,
)

router = APIRouter(prefix="/v1", tags=["preferences"])


@router.get(
    "/contacts/{contact_id}/preferences",
    response_model=PreferencesRead,
    summary="A contact's mail preferences.",
)
async def get_preferences(
    contact_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal, contracts: ContractsDep
) -> PreferencesRead:
    """Which mail categories the contact receives, and the essential notices everyone
    receives. The contact itself, its customer's administrators and staff may read them."""
    return await service.get_preferences(session, principal, contracts, contact_id)


@router.put(
    "/contacts/{contact_id}/preferences",
    response_model=PreferencesRead,
    summary="Set a contact's mail preferences.",
)
async def set_preferences(
    contact_id: uuid.UUID,
    body: PreferencesUpdate,
    session: DbSession,
    principal: CurrentPrincipal,
    contracts: ContractsDep,
) -> PreferencesRead:
    """Replaces the categories the contact opted out of. Essential notices (the case number
    mail, lifecycle announcements, maintenance) are a 422 `CATEGORY_ESSENTIAL`."""
    return await service.set_preferences(session, principal, contracts, contact_id, body.opted_out)


@router.get(
    "/tickets/{ticket_id}/watchers",
    response_model=list[WatcherRead],
    summary="Who follows a case.",
    tags=["watchers"],
)
async def list_watchers(
    ticket_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal, tickets: TicketsDep
) -> list[WatcherRead]:
    """Contacts of the case's customer who get its mail besides the requester. Whoever may
    see the case (tickets decides, with your token) may see them."""
    rows = await service.list_watchers(session, principal, tickets, ticket_id)
    return [WatcherRead.model_validate(r) for r in rows]


@router.post(
    "/tickets/{ticket_id}/watchers",
    response_model=WatcherRead,
    status_code=status.HTTP_201_CREATED,
    summary="Follow a case.",
    tags=["watchers"],
)
async def add_watcher(
    ticket_id: uuid.UUID,
    body: WatcherCreate,
    session: DbSession,
    principal: CurrentPrincipal,
    tickets: TicketsDep,
    contracts: ContractsDep,
    response: Response,
) -> WatcherRead:
    """Adds a contact of the case's customer (by id or address) to the case's replies and
    status mail (their own preferences apply). 200 when it followed the case already."""
    watcher, created = await service.add_watcher(
        session, principal, tickets, contracts, ticket_id, body
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return WatcherRead.model_validate(watcher)


@router.delete(
    "/tickets/{ticket_id}/watchers/{contact_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Stop following a case.",
    tags=["watchers"],
)
async def remove_watcher(
    ticket_id: uuid.UUID,
    contact_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    tickets: TicketsDep,
) -> None:
    await service.remove_watcher(session, principal, tickets, ticket_id, contact_id)
