"""The tickets domain's mutations. A refusal comes back as a GraphQL error whose
``extensions.code`` is tickets' own (NOT_ENTITLED, TICKET_NOT_FOUND, STATUS_UNCHANGED,
TICKET_CLOSED, ILLEGAL_TRANSITION, ROLE_FORBIDDEN, PRIORITY_UNKNOWN, ...)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from graphql import GraphQLError

from careplane_gateway.graphql.arguments import optional_uuid_arg, uuid_arg
from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.tickets.enums import EscalationKind, TicketStatus
from careplane_gateway.graphql.tickets.inputs import OpenTicketInput
from careplane_gateway.graphql.tickets.parts import Attachment
from careplane_gateway.graphql.tickets.types import Message, Ticket

NOT_ENTITLED = "NOT_ENTITLED"

TicketId = Annotated[strawberry.ID, strawberry.argument(description="The case's `id`.")]


def _idempotency_key(info: Info) -> str | None:
    """The HTTP request's Idempotency-Key, for the one create it names. Two creating fields
    in one request (under aliases) each get their own key, derived from their alias, so a
    retry of the whole request still replays each one."""
    key = info.context.idempotency_key
    if key is None or info.path.key == info.field_name:
        return key
    return f"{key}/{info.path.key}"


def _with_reasons(error: GraphQLError) -> GraphQLError:
    """NOT_ENTITLED carries contracts' reason codes as ``extensions.reasons`` too."""
    extensions = error.extensions or {}
    details = extensions.get("details")
    if extensions.get("code") != NOT_ENTITLED or not isinstance(details, dict):
        return error
    return GraphQLError(
        error.message,
        extensions={**extensions, "reasons": details.get("reasons", [])},
    )


async def _ticket_action(info: Info, ticket_id: strawberry.ID, action: str, body: Any) -> Ticket:
    path = f"/v1/tickets/{uuid_arg(ticket_id, 'ticketId')}/{action}"
    row = await info.context.tickets.post(path, json=body)
    info.context.loaders.tickets.fresh(row)
    return Ticket.from_rest(row)


@strawberry.type
class TicketsMutation:
    @strawberry.mutation(
        description=(
            "Opens a case. The HTTP request's `Idempotency-Key` header is honoured: the same "
            "key and input again answers the same case (IDEMPOTENCY_KEY_REUSED for the same "
            "key with other input). A refusal is NOT_ENTITLED with the reason codes in "
            "`extensions.reasons`. If contracts cannot be reached the case is still accepted, "
            "NEW with `entitlementStatus: PENDING`, and checked again in the background."
        )
    )
    async def open_ticket(
        self,
        info: Info,
        input: Annotated[OpenTicketInput, strawberry.argument(description="The new case.")],
    ) -> Ticket:
        try:
            row = await info.context.tickets.post(
                "/v1/tickets", json=input.to_rest(), idempotency_key=_idempotency_key(info)
            )
        except GraphQLError as error:
            raise _with_reasons(error) from error
        info.context.loaders.tickets.fresh(row)
        return Ticket.from_rest(row)

    @strawberry.mutation(
        description=(
            "A public reply (a staff reply answers the customer and stops the response clock; "
            "a customer reply to a PENDING case puts it back to OPEN), or an internal note "
            "(staff only, moves no clock). The HTTP request's `Idempotency-Key` header is "
            "honoured: a retry with the same key and input answers the same message."
        )
    )
    async def reply_to_ticket(
        self,
        info: Info,
        ticket_id: TicketId,
        body: Annotated[str, strawberry.argument(description="The message's text.")],
        # Nullable, as the published schema has it: null is a public reply, like false.
        internal: Annotated[
            bool | None,
            strawberry.argument(
                description="True for an internal note (staff only), never shown to customers."
            ),
        ] = False,
    ) -> Message:
        key = uuid_arg(ticket_id, "ticketId")
        row = await info.context.tickets.post(
            f"/v1/tickets/{key}/messages",
            json={"body": body, "internal": bool(internal)},
            idempotency_key=_idempotency_key(info),
        )
        info.context.loaders.tickets.forget(key)
        return Message.from_rest(row)

    @strawberry.mutation(
        description=(
            "Staff move a case between OPEN, WORKING, PENDING, ESCALATED, WITH_DEVELOPMENT and "
            "CLOSED. An illegal move is an error with a code: STATUS_UNCHANGED, TICKET_CLOSED "
            "(reopen it instead), ILLEGAL_TRANSITION, ENTITLEMENT_PENDING."
        )
    )
    async def change_ticket_status(
        self,
        info: Info,
        ticket_id: TicketId,
        status: Annotated[TicketStatus, strawberry.argument(description="The new status.")],
        reason: Annotated[
            str | None, strawberry.argument(description="Why; recorded in the case's history.")
        ] = None,
    ) -> Ticket:
        return await _ticket_action(
            info, ticket_id, "status", {"status": status.value, "reason": reason}
        )

    @strawberry.mutation(
        description=(
            "CUSTOMER: the customer asks for the region's Client Services Manager. INTERNAL "
            "(staff only): the case goes to another team. The case becomes ESCALATED."
        )
    )
    async def escalate_ticket(
        self,
        info: Info,
        ticket_id: TicketId,
        kind: Annotated[EscalationKind, strawberry.argument(description="CUSTOMER or INTERNAL.")],
        reason: Annotated[
            str, strawberry.argument(description="Why; recorded in the case's history.")
        ],
    ) -> Ticket:
        return await _ticket_action(
            info, ticket_id, "escalations", {"kind": kind.value, "reason": reason}
        )

    @strawberry.mutation(description="Staff close a case with its resolution.")
    async def close_ticket(
        self,
        info: Info,
        ticket_id: TicketId,
        resolution: Annotated[str, strawberry.argument(description="How the case was resolved.")],
    ) -> Ticket:
        return await _ticket_action(info, ticket_id, "close", {"resolution": resolution})

    @strawberry.mutation(
        description=(
            "The customer or staff reopen a closed case; its resolution clock resumes where it "
            "stopped (TICKET_NOT_CLOSED for a case that is not closed)."
        )
    )
    async def reopen_ticket(
        self,
        info: Info,
        ticket_id: TicketId,
        reason: Annotated[
            str, strawberry.argument(description="Why; recorded in the case's history.")
        ],
    ) -> Ticket:
        return await _ticket_action(info, ticket_id, "reopen", {"reason": reason})

    @strawberry.mutation(
        description=(
            "Staff reclassify a case; its clocks are recomputed from their original starts, and "
            "a breach that already happened stands (PRIORITY_UNKNOWN for a priority the plan "
            "does not have, PRIORITY_UNCHANGED)."
        )
    )
    async def change_ticket_priority(
        self,
        info: Info,
        ticket_id: TicketId,
        priority: Annotated[str, strawberry.argument(description="One of the plan's priorities.")],
        reason: Annotated[
            str, strawberry.argument(description="Why; recorded in the case's history.")
        ],
    ) -> Ticket:
        return await _ticket_action(
            info, ticket_id, "priority", {"priority": priority, "reason": reason}
        )

    @strawberry.mutation(description="Staff assign a case to an agent; null unassigns it.")
    async def assign_ticket(
        self,
        info: Info,
        ticket_id: TicketId,
        assignee_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="A staff user's id.")
        ] = None,
    ) -> Ticket:
        body = {"assignee_id": optional_uuid_arg(assignee_id, "assigneeId")}
        return await _ticket_action(info, ticket_id, "assignee", body)

    @strawberry.mutation(
        description=(
            "Attaches a file-sharing link, for a file over the upload limit. Files themselves "
            "are uploaded through REST: POST /api/tickets/v1/tickets/{id}/attachments."
        )
    )
    async def add_attachment_link(
        self,
        info: Info,
        ticket_id: TicketId,
        url: Annotated[str, strawberry.argument(description="Where the file lives.")],
        filename: Annotated[str, strawberry.argument(description="The file's name.")],
        content_type: Annotated[
            str, strawberry.argument(description="The file's MIME type, e.g. application/pdf.")
        ] = "application/octet-stream",
    ) -> Attachment:
        key = uuid_arg(ticket_id, "ticketId")
        row = await info.context.tickets.post(
            f"/v1/tickets/{key}/attachments/links",
            json={"url": url, "filename": filename, "content_type": content_type},
        )
        info.context.loaders.tickets.forget(key)
        return Attachment.from_rest(row)
