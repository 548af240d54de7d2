"""What contracts' entitlement answer does to a case: the plan, SLA policy, priority and
visibility it brings, or the refusal with its reasons."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import structlog

from careplane_shared.auth import Principal
from careplane_shared.errors import CareplaneError
from tickets import access
from tickets.clients.contracts import ContractsClient, ContractsUnavailable
from tickets.models import Ticket
from tickets.ticket import sla_policies
from tickets.ticket.exceptions import ContactNotFound, NotEntitled, PriorityUnknown
from tickets.ticket.rules import severity
from tickets.ticket.schemas import TicketOpen

log = structlog.get_logger(__name__)

_KEPT = ("reasons", "phase", "scope", "quota_remaining", "billable", "plan_name", "checked_at")


def apply_entitlement(
    ticket: Ticket, answer: dict[str, Any], *, requested_priority: str | None
) -> None:
    """Takes an entitled answer onto the case; the priority asked for must be one of the
    plan's (``PRIORITY_UNKNOWN``), none asked means the plan's default."""
    sla, stored = sla_policies.normalized(answer["sla_policy"])
    priority = requested_priority or sla.default_priority
    if priority not in sla.priorities:
        raise PriorityUnknown(
            f"Priority {priority!r} is not one of this plan's: {', '.join(sla.priorities)}.",
            details={"allowed": sla.priorities},
        )
    ticket.customer_id = uuid.UUID(answer["customer_id"])
    ticket.entitlement_status = "entitled"
    ticket.entitlement = {key: answer.get(key) for key in _KEPT}
    ticket.sla_policy = stored
    ticket.priority = priority
    ticket.severity = severity(priority)
    ticket.agreement_id = uuid.UUID(answer["agreement_id"]) if answer.get("agreement_id") else None
    ticket.plan_id = uuid.UUID(answer["plan_id"]) if answer.get("plan_id") else None
    ticket.plan_code = answer.get("plan_code")
    ticket.case_visibility = answer.get("case_visibility") or "customer"
    ticket.support_center = answer.get("support_center")
    ticket.billable = bool(answer.get("billable"))
    if not ticket.language or ticket.language == "auto":
        ticket.language = answer.get("customer_language") or "en"


def refusal(answer: dict[str, Any]) -> NotEntitled:
    reasons = answer.get("reasons", [])
    return NotEntitled(
        f"Not entitled: {', '.join(reasons) or 'no reason given'}.",
        details={"reasons": reasons, "phase": answer.get("phase")},
    )


def sla_inputs_given(data: TicketOpen) -> dict[str, object]:
    """The SLA inputs the caller set to something a customer cannot claim for itself."""
    given: dict[str, object] = {}
    if data.received_at is not None:
        given["received_at"] = data.received_at
    if data.channel not in access.CUSTOMER_CHANNELS:
        given["channel"] = data.channel
    return given


async def check_at_open(
    contracts: ContractsClient,
    *,
    principal: Principal,
    contact_id: uuid.UUID,
    data: TicketOpen,
    received_at: datetime,
) -> dict[str, Any] | None:
    """Contracts' answer for a case being opened; ``None`` when contracts cannot be
    reached (the case then waits as pending). Refusals raise.

    A customer's caller names one of its own customer's contacts: contracts, told whose
    caller asks, answers any other contact exactly as an unknown one (404
    ``CONTACT_NOT_FOUND``) before anything is said about entitlement; the recheck asks
    the same way."""
    tenant = access.tenant_of(principal)
    try:
        answer: dict[str, Any] | None = await contracts.check_entitlement(
            contact_id=contact_id,
            product_id=data.product_id,
            version=data.version,
            at=received_at,
            customer_id=tenant,
        )
    except ContractsUnavailable as exc:
        log.warning("entitlement_pending", error=str(exc))
        answer = None
    except CareplaneError as exc:
        if exc.code == ContactNotFound.code:
            raise ContactNotFound() from exc
        raise
    if answer is not None and tenant is not None and answer.get("customer_id") != str(tenant):
        # Contracts keeps this wall already; checked again here, before the entitlement's
        # reasons, because they are another customer's business.
        raise ContactNotFound()
    if answer is not None and not answer["entitled"]:
        raise refusal(answer)
    return answer
