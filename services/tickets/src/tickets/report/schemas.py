"""The SLA attainment report's answer."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel


class MetricRow(BaseModel):
    metric: str
    total: int
    within_target: int
    breached: int
    running: int
    percent_within: float | None
    average_minutes: float | None
    average_target_minutes: float | None


class PlanRow(BaseModel):
    plan_id: uuid.UUID | None
    plan_code: str | None
    tickets: int
    metrics: list[MetricRow]


class SlaReport(BaseModel):
    period_from: datetime
    period_to: datetime
    plan_id: uuid.UUID | None
    customer_id: uuid.UUID | None
    tickets: int
    metrics: list[MetricRow]
    plans: list[PlanRow]
