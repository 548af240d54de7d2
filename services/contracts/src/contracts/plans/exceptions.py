"""The errors of plans, each with its stable code and status."""

from __future__ import annotations

from careplane_shared.errors import Conflict, NotFound


class PlanNotFound(NotFound):
    code = "PLAN_NOT_FOUND"
    message = "No such plan."


class PlanCodeTaken(Conflict):
    code = "PLAN_CODE_TAKEN"
    message = "A plan with this code exists."
