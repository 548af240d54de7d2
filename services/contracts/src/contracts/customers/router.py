from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status

from careplane_shared.auth import CurrentPrincipal
from careplane_shared.db import DbSession, ReadSession
from careplane_shared.pagination import Page, PageParamsDep
from contracts.config import ContractsSettings
from contracts.customers import contacts, invitations, service
from contracts.customers.schemas import (
    ContactCreate,
    ContactRead,
    ContactUpdate,
    CustomerCreate,
    CustomerRead,
    CustomerUpdate,
    CustomerUpsert,
    InvitationAccept,
    Standing,
    SupportCenterCreate,
    SupportCenterRead,
)
from contracts.deps import (
    MAX_FILTER_IDS,
    CustomerIds,
    Manager,
    OutboxDep,
    Staff,
    StaffOrIntegration,
)

router = APIRouter(prefix="/v1", tags=["customers"])

# Whoever mails a customer's contacts asks for `pending=false`: an invitation not yet
# accepted may name an address its person has not confirmed (or that is someone else's).
PendingFilter = Annotated[
    bool | None,
    Query(description="Only invitations not yet accepted (true), or only accepted (false)."),
]
InvitationToken = Annotated[str, Path(min_length=16, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


@router.get("/customers", response_model=Page[CustomerRead], summary="List customers.")
async def list_customers(
    session: ReadSession,
    principal: CurrentPrincipal,
    page: PageParamsDep,
    search: Annotated[str | None, Query(max_length=200, description="Part of the name.")] = None,
    standing: Standing | None = None,
    region: str | None = None,
    ids: Annotated[
        list[uuid.UUID] | None,
        Query(
            alias="id",
            max_length=MAX_FILTER_IDS,
            description="Only these customers: repeat the parameter (at most 100).",
        ),
    ] = None,
) -> Page[CustomerRead]:
    """Staff and unscoped integrations see every customer; a contact sees its own."""
    items, total = await service.list_customers(
        session,
        principal,
        limit=page.limit,
        offset=page.offset,
        search=search,
        standing=standing,
        region=region,
        ids=ids,
    )
    return page.of([CustomerRead.model_validate(c) for c in items], total)


@router.post(
    "/customers",
    response_model=CustomerRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a customer.",
)
async def create_customer(
    session: DbSession, outbox: OutboxDep, principal: StaffOrIntegration, body: CustomerCreate
) -> CustomerRead:
    """Staff, the vendor's own integrations and services. A duplicate `external_id` is a
    409 `EXTERNAL_ID_TAKEN` (naming the customer that holds it to staff only); use the
    upsert to sync."""
    customer = await service.create_customer(session, outbox, principal, body)
    return CustomerRead.model_validate(customer)


@router.put(
    "/customers/by-external-id/{external_id}",
    response_model=CustomerRead,
    summary="Create or update the customer known to your CRM by this id (idempotent).",
)
async def upsert_customer(
    session: DbSession,
    outbox: OutboxDep,
    _: StaffOrIntegration,
    external_id: str,
    body: CustomerUpsert,
    response: Response,
) -> CustomerRead:
    """The vendor's side only (staff, its own integration keys, services): a key bound to
    a customer is refused (403). 201 when the customer was created, 200 when it was
    updated; the same call twice leaves one customer."""
    customer, created = await service.upsert_by_external_id(session, outbox, external_id, body)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return CustomerRead.model_validate(customer)


@router.get("/customers/{customer_id}", response_model=CustomerRead, summary="One customer.")
async def get_customer(
    session: ReadSession, principal: CurrentPrincipal, customer_id: uuid.UUID
) -> CustomerRead:
    return CustomerRead.model_validate(await service.get_customer(session, principal, customer_id))


@router.patch("/customers/{customer_id}", response_model=CustomerRead, summary="Change a customer.")
async def update_customer(
    session: DbSession,
    outbox: OutboxDep,
    principal: StaffOrIntegration,
    customer_id: uuid.UUID,
    body: CustomerUpdate,
) -> CustomerRead:
    """The vendor's side only: a customer's people and keys change nothing here (its
    standing above all). Setting `standing` to `suspended` stops support for the
    customer (seed 001)."""
    customer = await service.update_customer(session, outbox, principal, customer_id, body)
    return CustomerRead.model_validate(customer)


@router.get(
    "/customers/{customer_id}/contacts",
    response_model=Page[ContactRead],
    summary="A customer's contacts.",
)
async def list_contacts(
    session: ReadSession,
    principal: CurrentPrincipal,
    customer_id: uuid.UUID,
    page: PageParamsDep,
    pending: PendingFilter = None,
) -> Page[ContactRead]:
    items, total = await contacts.list_contacts(
        session, principal, customer_id, limit=page.limit, offset=page.offset, pending=pending
    )
    return page.of([ContactRead.model_validate(c) for c in items], total)


@router.post(
    "/customers/{customer_id}/contacts",
    response_model=ContactRead,
    status_code=status.HTTP_201_CREATED,
    summary="Register a support contact.",
)
async def create_contact(
    request: Request,
    session: DbSession,
    outbox: OutboxDep,
    principal: CurrentPrincipal,
    customer_id: uuid.UUID,
    body: ContactCreate,
) -> ContactRead:
    """Staff, the vendor's integrations and services register contacts for any customer
    at once (`password` lets them sign in; an address already signing in anywhere is a
    409 `CONTACT_EMAIL_TAKEN`). A customer administrator (or a key bound to its customer)
    invites: the contact is `pending` and cannot sign in until its person accepts the
    invitation mailed to it (`POST /v1/contacts/invitations/{token}/accept`); the answer
    is the same whether or not the address is known elsewhere. Only an address already
    among the customer's own contacts is a 409."""
    settings: ContractsSettings = request.app.state.settings
    contact = await contacts.create_contact(
        session,
        outbox,
        request.app.state.invitation_outbox,
        principal,
        customer_id,
        body,
        invitation_ttl=timedelta(hours=settings.invitation_ttl_hours),
    )
    return ContactRead.model_validate(contact)


@router.post(
    "/contacts/{contact_id}/invitation",
    response_model=ContactRead,
    summary="Send a pending contact's invitation again (a new token; the old one stops).",
)
async def resend_invitation(
    request: Request, session: DbSession, principal: CurrentPrincipal, contact_id: uuid.UUID
) -> ContactRead:
    """By whoever may manage the customer's contacts; 409 `CONTACT_NOT_PENDING` once the
    invitation has been accepted."""
    settings: ContractsSettings = request.app.state.settings
    contact = await invitations.resend_invitation(
        session,
        request.app.state.invitation_outbox,
        principal,
        contact_id,
        invitation_ttl=timedelta(hours=settings.invitation_ttl_hours),
    )
    return ContactRead.model_validate(contact)


@router.post(
    "/contacts/invitations/{token}/accept",
    response_model=ContactRead,
    summary="Accept an invitation: the invited person chooses its password.",
)
async def accept_invitation(
    session: DbSession, outbox: OutboxDep, token: InvitationToken, body: InvitationAccept
) -> ContactRead:
    """No bearer token: the invitation's token (from the mail) is the credential. 404
    `INVITATION_NOT_FOUND` for an unknown, used or expired one; 409
    `EMAIL_ALREADY_REGISTERED` when the address already signs in to another account.
    Afterwards the contact signs in with its email and this password."""
    contact = await invitations.accept_invitation(session, outbox, token, body.password)
    return ContactRead.model_validate(contact)


@router.get(
    "/contacts",
    response_model=Page[ContactRead],
    summary="Contacts of one or more customers.",
)
async def list_contacts_of_customers(
    session: ReadSession,
    principal: CurrentPrincipal,
    page: PageParamsDep,
    customer_id: CustomerIds = None,
    pending: PendingFilter = None,
    email: Annotated[
        str | None,
        Query(
            min_length=3,
            max_length=320,
            description="Only contacts with this address (any case): mail intake asks who wrote.",
        ),
    ] = None,
) -> Page[ContactRead]:
    """``?customer_id=a&customer_id=b``: the contacts of several customers in one request,
    ordered by customer, then name. A customer's own callers see their own contacts only;
    without `customer_id`, every contact the caller may see."""
    items, total = await contacts.list_contacts_of(
        session,
        principal,
        customer_id,
        limit=page.limit,
        offset=page.offset,
        pending=pending,
        email=email,
    )
    return page.of([ContactRead.model_validate(c) for c in items], total)


@router.get("/contacts/{contact_id}", response_model=ContactRead, summary="One contact.")
async def get_contact(
    session: ReadSession, principal: CurrentPrincipal, contact_id: uuid.UUID
) -> ContactRead:
    return ContactRead.model_validate(await service.get_contact(session, principal, contact_id))


@router.patch("/contacts/{contact_id}", response_model=ContactRead, summary="Change a contact.")
async def update_contact(
    session: DbSession,
    outbox: OutboxDep,
    principal: CurrentPrincipal,
    contact_id: uuid.UUID,
    body: ContactUpdate,
) -> ContactRead:
    contact = await contacts.update_contact(session, outbox, principal, contact_id, body)
    return ContactRead.model_validate(contact)


@router.get(
    "/support-centers",
    response_model=list[SupportCenterRead],
    tags=["support centers"],
    summary="Support centers and their business calendars.",
)
async def list_support_centers(session: ReadSession, _: Staff) -> list[SupportCenterRead]:
    return [
        SupportCenterRead.model_validate(c) for c in await service.list_support_centers(session)
    ]


@router.post(
    "/support-centers",
    response_model=SupportCenterRead,
    status_code=status.HTTP_201_CREATED,
    tags=["support centers"],
    summary="Add a support center.",
)
async def create_support_center(
    session: DbSession, _: Manager, body: SupportCenterCreate
) -> SupportCenterRead:
    return SupportCenterRead.model_validate(await service.create_support_center(session, body))
