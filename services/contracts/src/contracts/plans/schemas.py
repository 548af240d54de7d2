from __future__ import annotations

import uuid
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from careplane_shared.sla_policy import SlaPolicy
from contracts.entitlement.rules import ContactRule, WhenExhausted


class Channel(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    WEB = "web"
    CHAT = "chat"


class IncludedService(StrEnum):
    REMOTE_DIAGNOSIS = "remote_diagnosis"
    ON_SITE = "on_site"
    EMERGENCY = "emergency"
    # Each emergency call is charged (seed 003): a billable item per declared emergency.
    EMERGENCY_BILLED = "emergency_billed"
    EARLY_ACCESS = "early_access"
    FEATURE_REQUESTS = "feature_requests"
    SCHEDULED_VISITS = "scheduled_visits"
    UPGRADES = "upgrades"


class CaseVisibility(StrEnum):
    CUSTOMER = "customer"
    OWN = "own"


class QuotaRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    yearly: int = Field(ge=0, le=1_000_000, description="Tickets resolved per agreement year.")
    rollover: bool = Field(default=False, description="Unused tickets move to the next year.")
    when_exhausted: WhenExhausted = WhenExhausted.REFUSE
    reopen_window_days: int = Field(
        default=14,
        ge=0,
        le=3650,
        description="A case reopened within this many days of its close gives its ticket back.",
    )


class PricingRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_year_percent: Decimal = Field(ge=0, le=1000, decimal_places=2)
    later_years_percent: Decimal = Field(ge=0, le=1000, decimal_places=2)
    upgrade_percent: Decimal | None = Field(default=None, ge=0, le=1000, decimal_places=2)


class PlanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=50, pattern=r"^[a-z0-9-]+$")
    name: str = Field(min_length=1, max_length=200)
    description: str | None = None
    sla_policy: SlaPolicy
    channels: list[Channel] = Field(default_factory=list)
    services: list[IncludedService] = Field(default_factory=list)
    contact_rule: ContactRule = ContactRule.UNLIMITED
    case_visibility: CaseVisibility = Field(
        default=CaseVisibility.CUSTOMER,
        description="Which of its customer's cases a plain contact sees: all, or its own.",
    )
    quota: QuotaRule | None = None
    pricing: PricingRuleIn | None = None
    prerequisite_plan_id: uuid.UUID | None = Field(
        default=None,
        description="A plan whose active agreement this one needs (Premium needs Basic).",
    )


class PlanUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = None
    sla_policy: SlaPolicy | None = None
    channels: list[Channel] | None = None
    services: list[IncludedService] | None = None
    contact_rule: ContactRule | None = None
    case_visibility: CaseVisibility | None = None
    quota: QuotaRule | None = None
    pricing: PricingRuleIn | None = None
    active: bool | None = None


class PlanRead(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    description: str | None
    sla_policy: dict[str, Any]
    channels: list[str]
    services: list[str]
    contact_rule: str
    case_visibility: str
    quota: QuotaRule | None
    pricing: PricingRuleIn | None
    prerequisite_plan_id: uuid.UUID | None
    active: bool
