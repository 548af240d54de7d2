"""SLA clocks and attainment: each clock of a case as computed from its history (the same
engine answers ``slaSimulate``), and the attainment report over many cases."""

from __future__ import annotations

from datetime import datetime

import strawberry

from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.contracts.plans import Plan
from careplane_gateway.graphql.convert import Row, optional_datetime, optional_float, optional_id
from careplane_gateway.graphql.sla_policy import SlaMetric


@strawberry.type(
    description=(
        "One SLA clock of a case, computed from its history; `explanation` says why it is due "
        "when it is. A clock that restarts (NEXT_RESPONSE) appears once per cycle, oldest "
        "first."
    )
)
class SlaClock:
    metric: SlaMetric = strawberry.field(description="Which clock.")
    target_minutes: int = strawberry.field(
        description="The target, in minutes (business minutes when `businessTime`)."
    )
    business_time: bool = strawberry.field(
        description="Counted in the calendar's service minutes; false: calendar minutes."
    )
    started_at: datetime | None = strawberry.field(
        description="The first service minute the clock counted (or the calendar instant)."
    )
    due_at: datetime | None = strawberry.field(
        description="Null while the clock is paused (the case is PENDING)."
    )
    stopped_at: datetime | None = strawberry.field(
        description="When it was met (a staff reply, the close)."
    )
    paused_minutes: int = strawberry.field(description="Minutes the clock stood still.")
    breached: bool = strawberry.field(description="Missed its due time.")
    cycle: int = strawberry.field(
        description="1 for the first; a NEXT_RESPONSE clock counts one up per exchange."
    )
    priority: str = strawberry.field(description="The priority whose target applies.")
    paused: bool = strawberry.field(
        description="Standing still while the case waits for the customer."
    )
    breached_at: datetime | None = strawberry.field(
        description="When it passed its due time; null unless breached."
    )
    explanation: list[str] = strawberry.field(
        description="The steps from the start to the due time, in words."
    )

    @classmethod
    def from_rest(cls, row: Row) -> SlaClock:
        return cls(
            metric=SlaMetric(row["metric"]),
            target_minutes=int(row["target_minutes"]),
            business_time=bool(row["business_time"]),
            started_at=optional_datetime(row.get("started_at")),
            due_at=optional_datetime(row.get("due_at")),
            stopped_at=optional_datetime(row.get("stopped_at")),
            paused_minutes=int(row["paused_minutes"]),
            breached=bool(row["breached"]),
            cycle=int(row["cycle"]),
            priority=row["priority"],
            paused=bool(row["paused"]),
            breached_at=optional_datetime(row.get("breached_at")),
            explanation=list(row.get("explanation") or ()),
        )


@strawberry.type(
    description=(
        "How one metric's clocks did: a stopped clock is met or breached, a running one "
        "breached once past due, otherwise still running (not yet decided)."
    )
)
class SlaAttainment:
    metric: SlaMetric = strawberry.field(description="The clock measured.")
    total: int = strawberry.field(description="Clocks counted in the period.")
    within_target: int = strawberry.field(description="Clocks met within their target.")
    breached: int = strawberry.field(description="Clocks past their target.")
    running: int = strawberry.field(description="Clocks still running.")
    percent_within: float | None = strawberry.field(
        description="Share met within target of those decided, in percent; null: none decided."
    )
    average_minutes: float | None = strawberry.field(
        description="Average time taken by the decided clocks, in their own minutes."
    )
    average_target_minutes: float | None = strawberry.field(
        description="Average commitment of the same clocks."
    )

    @classmethod
    def list_from_rest(cls, rows: list[Row]) -> list[SlaAttainment]:
        return [
            cls(
                metric=SlaMetric(row["metric"]),
                total=int(row["total"]),
                within_target=int(row["within_target"]),
                breached=int(row["breached"]),
                running=int(row["running"]),
                percent_within=optional_float(row.get("percent_within")),
                average_minutes=optional_float(row.get("average_minutes")),
                average_target_minutes=optional_float(row.get("average_target_minutes")),
            )
            for row in rows
        ]


@strawberry.type(description="Attainment of the cases under one plan.")
class SlaPlanAttainment:
    plan_id: strawberry.ID | None = strawberry.field(description="The plan.")
    plan_code: str | None = strawberry.field(description="The plan's code.")
    tickets: int = strawberry.field(description="Cases under the plan in the period.")
    metrics: list[SlaAttainment] = strawberry.field(description="Attainment per clock.")

    @classmethod
    def from_rest(cls, row: Row) -> SlaPlanAttainment:
        return cls(
            plan_id=optional_id(row.get("plan_id")),
            plan_code=row.get("plan_code"),
            tickets=int(row["tickets"]),
            metrics=SlaAttainment.list_from_rest(row["metrics"]),
        )

    @strawberry.field(description="The plan; null when it no longer exists.")
    async def plan(self, info: Info) -> Plan | None:
        return None if self.plan_id is None else await Plan.load(info, self.plan_id)


@strawberry.type(
    description=(
        "SLA attainment of the entitled cases received in [from, to), their clocks as of now, "
        "overall and per plan."
    )
)
class SlaReport:
    from_: datetime = strawberry.field(name="from", description="Start of the period (inclusive).")
    to: datetime = strawberry.field(description="End of the period (exclusive).")
    plan_id: strawberry.ID | None = strawberry.field(
        description="The plan asked about; null for all plans."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        description="For a customer administrator: always its own customer."
    )
    tickets: int = strawberry.field(description="Cases counted.")
    metrics: list[SlaAttainment] = strawberry.field(
        description="Attainment per clock over all cases in the report."
    )
    plans: list[SlaPlanAttainment] = strawberry.field(description="Attainment per plan.")

    @classmethod
    def from_rest(cls, row: Row) -> SlaReport:
        return cls(
            from_=datetime.fromisoformat(row["period_from"]),
            to=datetime.fromisoformat(row["period_to"]),
            plan_id=optional_id(row.get("plan_id")),
            customer_id=optional_id(row.get("customer_id")),
            tickets=int(row["tickets"]),
            metrics=SlaAttainment.list_from_rest(row["metrics"]),
            plans=[SlaPlanAttainment.from_rest(plan) for plan in row["plans"]],
        )
