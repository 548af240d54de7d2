from __future__ import annotations

import uuid

from fastapi import APIRouter

from careplane_shared.db import DbSession
from careplane_shared.pagination import Page, PageParamsDep
from notify.announcements import service
from notify.announcements.schemas import (
    AnnouncementDetail,
    AnnouncementRead,
    AnnouncementStatus,
    Milestone,
)
from notify.deps import ReaderScopeDep

router = APIRouter(prefix="/v1/announcements", tags=["announcements"])


@router.get("", response_model=Page[AnnouncementRead], summary="Lifecycle announcements.")
async def list_announcements(
    session: DbSession,
    scope: ReaderScopeDep,
    page: PageParamsDep,
    status: AnnouncementStatus | None = None,
    product_id: uuid.UUID | None = None,
    milestone: Milestone | None = None,
) -> Page[AnnouncementRead]:
    """EOS, EOMS and EOL announcements, planned six months ahead of each date and re-planned
    when a date moves (the old one `superseded`), newest first. Staff see every one; a
    customer sees those it was sent."""
    items, total = await service.list_announcements(
        session,
        scope,
        status=status,
        product_id=product_id,
        milestone=milestone,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/{announcement_id}",
    response_model=AnnouncementDetail,
    summary="One announcement with its proof of sending per customer.",
)
async def get_announcement(
    announcement_id: uuid.UUID, session: DbSession, scope: ReaderScopeDep
) -> AnnouncementDetail:
    """Per customer: the addresses written to, the language, the delivery (its attempts are
    at `/v1/deliveries/{id}`), when the mail was accepted and its Message-ID and subject."""
    return await service.get_announcement(session, scope, announcement_id)
