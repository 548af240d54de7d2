"""``slaSimulate``: the live SLA engine over a given plan, arrival and timeline."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator

from careplane_shared.auth import READS_ONLY, StaffPrincipal
from careplane_shared.errors import ServiceUnavailable, ValidationFailed
from careplane_shared.sla_policy import SlaPolicy
from tickets.clients.contracts import ContractsUnavailable
from tickets.deps import ContractsDep
from tickets.sla.calendar import BusinessCalendar
from tickets.sla.clocks import compute_clocks
from tickets.sla.model import SlaEvent, SlaEventKind
from tickets.ticket.clocks import clock_view
from tickets.ticket.exceptions import PriorityUnknown
from tickets.ticket.rules import Status
from tickets.ticket.schemas import SlaClockRead

router = APIRouter(prefix="/v1/sla", tags=["sla"])


class SimulationEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: datetime
    kind: SlaEventKind
    status: Status | None = None
    priority: str | None = Field(default=None, max_length=30)
    automated: bool = False
    internal: bool = False


class Simulation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan_id: uuid.UUID
    priority: str = Field(min_length=1, max_length=30)
    received_at: datetime
    customer_id: uuid.UUID | None = Field(
        default=None, description="Whose support center's calendar, where the plan uses one."
    )
    events: list[SimulationEvent] = Field(default_factory=list, max_length=1000)
    as_of: datetime | None = Field(default=None, description="Default: now.")
    scheduled_visit: bool = False

    @field_validator("received_at", "as_of")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a time zone (e.g. Z or +01:00)")
        return value


@router.post(
    "/simulate",
    response_model=list[SlaClockRead],
    summary="What-if: clocks under a plan.",
    openapi_extra=READS_ONLY,
)
async def simulate(
    body: Simulation, _: StaffPrincipal, contracts: ContractsDep
) -> list[SlaClockRead]:
    """The same engine as live tickets: the clocks a case would have under the plan, given
    when it arrived and what happened since, each with the steps that explain its due time.
    A clock that restarts (NEXT_RESPONSE) appears once per cycle, oldest first."""
    try:
        policy = SlaPolicy.model_validate(
            await contracts.resolved_policy(body.plan_id, body.customer_id)
        )
    except ContractsUnavailable as exc:
        raise ServiceUnavailable("Contracts cannot be reached for the plan.") from exc
    if body.priority not in policy.priorities:
        raise PriorityUnknown(
            f"Priority {body.priority!r} is not one of this plan's.",
            details={"allowed": policy.priorities},
        )
    as_of = body.as_of or datetime.now(UTC)
    try:
        events = [
            SlaEvent(
                at=e.at,
                kind=e.kind,
                status=e.status,  # type: ignore[arg-type]
                priority=e.priority,
                automated=e.automated,
                internal=e.internal,
            )
            for e in body.events
        ]
        clocks = compute_clocks(
            policy,
            BusinessCalendar.for_spec(policy.calendar),
            priority=body.priority,
            received_at=body.received_at,
            events=events,
            as_of=as_of,
            scheduled_visit=body.scheduled_visit,
        )
    except ValueError as exc:
        raise ValidationFailed(str(exc), code="SIMULATION_INVALID") from exc
    return [SlaClockRead(**clock_view(c)) for c in clocks]
