"""What the survey routes take and answer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Score = Annotated[int | None, Field(default=None, ge=1, le=5)]

QUESTION_TEXT = {
    "resolution": "How satisfied are you with the resolution of your case?",
    "response_time": "How satisfied are you with how quickly we responded?",
    "knowledge": "How satisfied are you with the knowledge of the engineer who helped you?",
    "communication": "How well did we keep you informed while we worked on your case?",
    "overall": "Overall, how satisfied are you with our support?",
}


class SurveyAnswers(BaseModel):
    """Five questions scored 1 (poor) to 5 (excellent) and a comment; every one optional."""

    model_config = ConfigDict(extra="forbid")

    resolution: Score = None
    response_time: Score = None
    knowledge: Score = None
    communication: Score = None
    overall: Score = None
    comment: str | None = Field(default=None, max_length=4000)


class QuestionRead(BaseModel):
    name: str
    text: str
    answer: int | None


class SurveyRead(BaseModel):
    id: uuid.UUID
    ticket_id: uuid.UUID
    number: str
    subject: str
    contact_id: uuid.UUID
    invited_at: datetime
    expires_at: datetime
    answered_at: datetime | None
    answered_via: str | None
    questions: list[QuestionRead]
    comment: str | None


class OptOutRead(BaseModel):
    contact_id: uuid.UUID
    opted_out: bool
    opted_out_at: datetime | None


GroupBy = Literal["agent", "plan", "customer", "period"]


class ScoreRow(BaseModel):
    question: str
    answers: int
    average: float | None


class SurveyGroupRow(BaseModel):
    """One group: its key, how many were asked and answered, the average per question, and
    the SLA attainment of the same cases."""

    key: str | None
    label: str | None
    invited: int
    answered: int
    response_rate: float | None
    scores: list[ScoreRow]
    sla: list[SurveySlaRow]


class SurveySlaRow(BaseModel):
    metric: str
    total: int
    within_target: int
    breached: int
    percent_within: float | None


class SurveyReport(BaseModel):
    period_from: datetime
    period_to: datetime
    group_by: GroupBy
    customer_id: uuid.UUID | None
    invited: int
    answered: int
    groups: list[SurveyGroupRow]


SurveyGroupRow.model_rebuild()
