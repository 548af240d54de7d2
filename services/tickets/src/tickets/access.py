"""Who may see and change which case: tickets' access model, written once.

Every route, list, batch read and live stream asks this module. The rule of who sees a
case has three spellings that must agree, built here from the same few facts:
:func:`may_see` for one case (its customer, requester and visibility), :func:`visible_clause`
for SQL lists, and :func:`visible` for a live event's summary.

The callers, by :class:`~careplane_shared.auth.PrincipalKind`:

- staff, the vendor's own integration keys and service accounts (the vendor's side) see
  every customer's cases, internal notes and internal history, and may set the intake
  facts the SLA clocks start from (``received_at``, ``channel``; ``scheduled_visit`` is
  the visits workflow's alone, :mod:`tickets.visits`);
- a customer's people and the API keys bound to a customer stay inside that customer. A
  bound key acts as its customer's administrator at most: it never sees or writes
  anything staff-only. A plain contact sees only the cases it asked itself where the
  plan says so (``case_visibility == "own"``).

Only staff move a case through its statuses, assign it or change its priority; a
customer asks for another priority through a change request instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, true

from careplane_shared.auth import Principal, Role
from careplane_shared.errors import Forbidden
from tickets.models import Ticket
from tickets.ticket.rules import Channel

# The intake facts a case's SLA clocks start from: the vendor's side sets them.
SLA_INPUTS = ("received_at", "channel")
# The channels a customer's caller is really on when it opens a case itself; a call, a
# mail or a chat is recorded by the vendor's side that took it.
CUSTOMER_CHANNELS = frozenset({Channel.PORTAL, Channel.API})


class FieldForbidden(Forbidden):
    code = "FIELD_FORBIDDEN"
    message = "This field is set by the vendor's staff or integrations only."


class ChangeRequestRequired(Forbidden):
    code = "CHANGE_REQUEST_REQUIRED"
    message = "A customer asks for this change through a change request; staff decide."


class RoleForbidden(Forbidden):
    code = "ROLE_FORBIDDEN"
    message = "Your role may not do this."


# -- seeing cases ---------------------------------------------------------------------------


def tenant_of(principal: Principal) -> uuid.UUID | None:
    """The one customer a caller is confined to, or None for the vendor's side. A token
    that names a customer is confined to it whatever its role."""
    return principal.customer_id


def own_cases_only(principal: Principal) -> bool:
    """A plain contact, on plans that say so, sees only the cases it asked itself."""
    return principal.is_customer and principal.effective_role is Role.CONTACT


def may_see(
    principal: Principal,
    *,
    customer_id: uuid.UUID | str | None,
    contact_id: uuid.UUID | str | None,
    case_visibility: str | None,
) -> bool:
    """The rule for one case, from its customer, requester and visibility."""
    tenant = tenant_of(principal)
    if tenant is None:
        return not principal.is_customer
    if customer_id is None or str(customer_id) != str(tenant):
        return False
    if own_cases_only(principal) and case_visibility == "own":
        return contact_id is not None and str(contact_id) == principal.subject
    return True


def may_see_ticket(principal: Principal, ticket: Ticket) -> bool:
    return may_see(
        principal,
        customer_id=ticket.customer_id,
        contact_id=ticket.contact_id,
        case_visibility=ticket.case_visibility,
    )


def visible(principal: Principal, data: Mapping[str, Any]) -> bool:
    """The same rule for a live event's summary (``customer_id``, ``contact_id``,
    ``case_visibility``), as the live stream filters it."""
    return may_see(
        principal,
        customer_id=data.get("customer_id"),
        contact_id=data.get("contact_id"),
        case_visibility=data.get("case_visibility"),
    )


def visible_clause(principal: Principal) -> ColumnElement[bool]:
    """The same rule as a SQL condition on ``tickets``, for lists and queues."""
    tenant = tenant_of(principal)
    if tenant is None:
        return true() if not principal.is_customer else Ticket.id.is_(None)
    clause: ColumnElement[bool] = Ticket.customer_id == tenant
    if own_cases_only(principal):
        own = or_(Ticket.case_visibility != "own", Ticket.contact_id == _subject_id(principal))
        clause = and_(clause, own)
    return clause


def _subject_id(principal: Principal) -> uuid.UUID | None:
    try:
        return uuid.UUID(principal.subject)
    except ValueError:
        return None


# -- staff-only content ---------------------------------------------------------------------


def sees_internal(principal: Principal) -> bool:
    """Internal notes, internal history entries and their attachments: the vendor's side."""
    return principal.is_vendor_side


def may_write_internal(principal: Principal) -> bool:
    return principal.is_vendor_side


def ensure_may_write_internal(principal: Principal) -> None:
    if not may_write_internal(principal):
        raise Forbidden("Customers cannot write internal notes.", code="INTERNAL_NOTE_FORBIDDEN")


# -- writes ---------------------------------------------------------------------------------


def may_set_sla_inputs(principal: Principal) -> bool:
    """When a call or mail arrived, by which channel."""
    return principal.is_vendor_side


def ensure_sla_inputs(principal: Principal, given: Mapping[str, object]) -> None:
    """Refuses (403 FIELD_FORBIDDEN naming the first field) the SLA inputs a customer set;
    ``given`` holds only the fields the caller set to something other than the default."""
    if may_set_sla_inputs(principal):
        return
    for field in SLA_INPUTS:
        if field in given:
            raise FieldForbidden(
                f"{field} is set by the vendor's staff or integrations only.",
                details={"field": field},
            )


def may_open_for(principal: Principal, contact_id: uuid.UUID | None) -> bool:
    """A plain contact opens cases for itself; its administrator (or a key bound to its
    customer) for any of its customer's contacts; the vendor's side for anyone."""
    if not principal.is_customer:
        return True
    if contact_id is None or str(contact_id) == principal.subject:
        return True
    return principal.is_customer_admin


def ensure_staff(principal: Principal, doing: str) -> None:
    """Assignment and the like: staff only."""
    if not principal.is_staff:
        raise RoleForbidden(f"Only staff {doing}.")


def ensure_may_move_status(principal: Principal) -> None:
    if not (principal.is_staff or principal.is_service):
        raise RoleForbidden("Only staff change a case's status.")


def ensure_may_reclassify(principal: Principal) -> None:
    """Priority (or category) after opening: staff decide; a customer asks through a
    change request; any other caller may not."""
    if principal.is_staff:
        return
    if principal.is_customer:
        raise ChangeRequestRequired(
            "A customer asks for another priority through a change request; staff decide.",
            details={"field": "priority"},
        )
    raise RoleForbidden("Only staff change a case's priority.")


def may_escalate_internally(principal: Principal) -> bool:
    return principal.is_staff


def may_read_reports(principal: Principal) -> bool:
    """Staff for any customer, a customer administrator (or bound key) for its own."""
    return principal.is_staff or (principal.is_customer and principal.is_customer_admin)
