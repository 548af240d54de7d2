"""Support plans and support centers: the terms support is given on (a plan's SLA, channels,
services, quota and pricing) and the business calendars the clocks count in."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.contracts.enums import (
    Channel,
    ContactRule,
    IncludedService,
    WhenExhausted,
)
from careplane_gateway.graphql.convert import Row, optional_decimal, optional_id, to_id
from careplane_gateway.graphql.sla_policy import BusinessCalendar, SlaPolicy


@strawberry.type(description="A support center and the business calendar it works by.")
class SupportCenter:
    id: strawberry.ID = strawberry.field(description="The support center's ID.")
    code: str = strawberry.field(description="A stable code, e.g. broomfield.")
    name: str = strawberry.field(description="The center's display name.")
    regions: list[str] = strawberry.field(description="The regions whose customers it serves.")
    calendar: BusinessCalendar = strawberry.field(
        description="The business calendar the center works in."
    )

    @classmethod
    def from_rest(cls, row: Row) -> SupportCenter:
        return cls(
            id=to_id(row["id"]),
            code=row["code"],
            name=row["name"],
            regions=list(row["regions"]),
            calendar=BusinessCalendar.from_rest(row["calendar"]),
        )


@strawberry.type(description="The yearly ticket quota of a plan.")
class QuotaRule:
    yearly: int = strawberry.field(description="Tickets resolved per agreement year.")
    rollover: bool = strawberry.field(description="Unused tickets move to the next year.")
    when_exhausted: WhenExhausted = strawberry.field(
        description="What happens to a case once the quota is used up."
    )
    reopen_window_days: int = strawberry.field(
        description="A case reopened within this many days of its close gives its ticket back."
    )

    @classmethod
    def from_rest(cls, row: Row) -> QuotaRule:
        return cls(
            yearly=int(row["yearly"]),
            rollover=bool(row["rollover"]),
            when_exhausted=WhenExhausted(row["when_exhausted"]),
            reopen_window_days=int(row.get("reopen_window_days", 14)),
        )


@strawberry.type(description="What an agreement year costs, as percentages of the license price.")
class PricingRule:
    first_year_percent: Decimal = strawberry.field(
        description="The first year's price, in percent of the license price."
    )
    later_years_percent: Decimal = strawberry.field(
        description="Every later year's price, in percent of the license price."
    )
    upgrade_percent: Decimal | None = strawberry.field(
        description="An upgrade to the next major version."
    )

    @classmethod
    def from_rest(cls, row: Row) -> PricingRule:
        return cls(
            first_year_percent=Decimal(str(row["first_year_percent"])),
            later_years_percent=Decimal(str(row["later_years_percent"])),
            upgrade_percent=optional_decimal(row.get("upgrade_percent")),
        )


def _sla(root: Plan) -> SlaPolicy:
    return SlaPolicy.from_rest(root.sla_policy)


@strawberry.type(description="A support plan: its SLA, channels, services, quota and pricing.")
class Plan:
    id: strawberry.ID = strawberry.field(description="The plan's ID (`GET /v1/plans/{id}`).")
    code: str = strawberry.field(description="A stable short code, e.g. infocare.")
    name: str = strawberry.field(description="The plan's display name.")
    description: str | None = strawberry.field(
        description="What the plan offers; null when not written."
    )
    sla: SlaPolicy = strawberry.field(
        resolver=_sla, description="The SLA policy: calendar, priorities and targets."
    )
    channels: list[Channel] = strawberry.field(
        description="The channels through which its customers may reach support."
    )
    services: list[IncludedService] = strawberry.field(
        description="The services it includes beyond answering cases."
    )
    contact_rule: ContactRule = strawberry.field(description="Who may open cases.")
    quota: QuotaRule | None = strawberry.field(description="Null: no ticket limit.")
    pricing: PricingRule | None = strawberry.field(
        description=(
            "What a year costs, as percentages of the license price; null when not priced this way."
        )
    )
    prerequisite_plan_id: strawberry.ID | None = strawberry.field(
        description="A plan whose active agreement this one needs; null when none."
    )
    active: bool = strawberry.field(description="Still offered for new agreements.")
    # The policy as contracts stores it, made GraphQL values only when a query asks for them
    # (a page of cases asks for each case's plan, rarely for its whole policy).
    sla_policy: strawberry.Private[Row]

    @classmethod
    def from_rest(cls, row: Row) -> Plan:
        quota, pricing = row.get("quota"), row.get("pricing")
        return cls(
            id=to_id(row["id"]),
            code=row["code"],
            name=row["name"],
            description=row.get("description"),
            sla_policy=row["sla_policy"],
            channels=[Channel(c) for c in row["channels"]],
            services=[IncludedService(s) for s in row["services"]],
            contact_rule=ContactRule(row["contact_rule"]),
            quota=QuotaRule.from_rest(quota) if quota else None,
            pricing=PricingRule.from_rest(pricing) if pricing else None,
            prerequisite_plan_id=optional_id(row.get("prerequisite_plan_id")),
            active=bool(row["active"]),
        )

    @classmethod
    async def load(cls, info: Info, plan_id: object) -> Plan:
        """A plan by id, from the request's list of plans (PLAN_NOT_FOUND)."""
        return cls.from_rest(await info.context.loaders.contracts.plan_row(plan_id))

    @strawberry.field(description="A plan whose active agreement this one needs (Premium: Basic).")
    async def prerequisite(self, info: Info) -> Plan | None:
        if self.prerequisite_plan_id is None:
            return None
        return await Plan.load(info, self.prerequisite_plan_id)
