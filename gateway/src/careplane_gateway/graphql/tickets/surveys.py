"""Satisfaction surveys: a case's survey, answering it (by the contact asked, signed in, or
with the link's token), a contact's switch, and the results joined with SLA attainment."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError

from careplane_gateway.graphql.arguments import (
    VALIDATION_ERROR,
    optional_uuid_arg,
    path_segment,
    present,
    uuid_arg,
)
from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.convert import (
    Row,
    optional_datetime,
    optional_float,
    optional_id,
    to_id,
)
from careplane_gateway.graphql.errors import gateway_error

SURVEY_NOT_FOUND = "SURVEY_NOT_FOUND"


@strawberry.type(description="One of the five questions, with its answer (1 to 5) if given.")
class SurveyQuestion:
    name: str = strawberry.field(description="resolution, response_time, knowledge, ...")
    text: str = strawberry.field(description="The question as asked.")
    answer: int | None = strawberry.field(description="1 (poor) to 5 (excellent); null: none.")


@strawberry.type(description="A satisfaction survey offered when its case closed.")
class Survey:
    id: strawberry.ID = strawberry.field(description="The survey's ID.")
    ticket_id: strawberry.ID = strawberry.field(description="The case it is about.")
    number: str = strawberry.field(description="The case's number.")
    contact_id: strawberry.ID = strawberry.field(description="The contact asked.")
    invited_at: datetime = strawberry.field(description="When it was offered.")
    expires_at: datetime = strawberry.field(description="Its link is valid until then.")
    answered_at: datetime | None = strawberry.field(description="Null until answered (once).")
    answered_via: str | None = strawberry.field(description="link or api.")
    questions: list[SurveyQuestion] = strawberry.field(description="The five questions.")
    comment: str | None = strawberry.field(description="The contact's own words.")

    @classmethod
    def from_rest(cls, row: Row) -> Survey:
        return cls(
            id=to_id(row["id"]),
            ticket_id=to_id(row["ticket_id"]),
            number=row["number"],
            contact_id=to_id(row["contact_id"]),
            invited_at=datetime.fromisoformat(row["invited_at"]),
            expires_at=datetime.fromisoformat(row["expires_at"]),
            answered_at=optional_datetime(row.get("answered_at")),
            answered_via=row.get("answered_via"),
            questions=[
                SurveyQuestion(name=q["name"], text=q["text"], answer=q.get("answer"))
                for q in row["questions"]
            ],
            comment=row.get("comment"),
        )


async def survey_of(info: Info, ticket_id: object) -> Survey | None:
    """The case's survey; null when the case was not sampled."""
    try:
        row = await info.context.tickets.get(
            f"/v1/tickets/{uuid_arg(ticket_id, 'ticketId')}/survey"
        )
    except GraphQLError as error:
        if (error.extensions or {}).get("code") == SURVEY_NOT_FOUND:
            return None
        raise
    return Survey.from_rest(row)


@strawberry.input(description="The answers; every question is optional, scored 1 to 5.")
class SurveyAnswersInput:
    resolution: int | None = strawberry.field(default=None, description="The resolution.")
    response_time: int | None = strawberry.field(default=None, description="How quickly.")
    knowledge: int | None = strawberry.field(default=None, description="The engineer's knowledge.")
    communication: int | None = strawberry.field(default=None, description="Kept informed.")
    overall: int | None = strawberry.field(default=None, description="Overall.")
    comment: str | None = strawberry.field(default=None, description="In the contact's words.")

    def to_rest(self) -> dict[str, Any]:
        return present(
            {
                "resolution": self.resolution,
                "response_time": self.response_time,
                "knowledge": self.knowledge,
                "communication": self.communication,
                "overall": self.overall,
                "comment": self.comment,
            }
        )


@strawberry.type(description="Whether a contact switched surveys off.")
class SurveyOptOut:
    contact_id: strawberry.ID = strawberry.field(description="The contact.")
    opted_out: bool = strawberry.field(description="True: never asked.")
    opted_out_at: datetime | None = strawberry.field(description="Since when.")

    @classmethod
    def from_rest(cls, row: Row) -> SurveyOptOut:
        return cls(
            contact_id=to_id(row["contact_id"]),
            opted_out=bool(row["opted_out"]),
            opted_out_at=optional_datetime(row.get("opted_out_at")),
        )


@strawberry.enum(description="How survey results are grouped.")
class SurveyGroupBy(Enum):
    AGENT = strawberry.enum_value("agent", description="The agent who had the case at closing.")
    PLAN = strawberry.enum_value("plan", description="The case's plan.")
    CUSTOMER = strawberry.enum_value("customer", description="The case's customer.")
    PERIOD = strawberry.enum_value("period", description="The month the survey was offered.")


@strawberry.type(description="The answers to one question in a group.")
class SurveyScore:
    question: str = strawberry.field(description="The question's name.")
    answers: int = strawberry.field(description="How many answered it.")
    average: float | None = strawberry.field(description="Their average score (1 to 5).")


@strawberry.type(description="SLA attainment of a group's cases, per clock.")
class SurveySla:
    metric: str = strawberry.field(description="The clock.")
    total: int = strawberry.field(description="Clocks counted.")
    within_target: int = strawberry.field(description="Met within target.")
    breached: int = strawberry.field(description="Past target.")
    percent_within: float | None = strawberry.field(description="Share met of those decided.")


@strawberry.type(description="One group of survey results.")
class SurveyGroup:
    key: str | None = strawberry.field(description="Agent, plan or customer id, or YYYY-MM.")
    label: str | None = strawberry.field(description="The plan's code, or the month.")
    invited: int = strawberry.field(description="Surveys offered.")
    answered: int = strawberry.field(description="Surveys answered.")
    response_rate: float | None = strawberry.field(description="Answered of offered, percent.")
    scores: list[SurveyScore] = strawberry.field(description="Per question.")
    sla: list[SurveySla] = strawberry.field(description="SLA attainment of the same cases.")

    @classmethod
    def from_rest(cls, row: Row) -> SurveyGroup:
        return cls(
            key=row.get("key"),
            label=row.get("label"),
            invited=int(row["invited"]),
            answered=int(row["answered"]),
            response_rate=optional_float(row.get("response_rate")),
            scores=[SurveyScore(**s) for s in row["scores"]],
            sla=[
                SurveySla(
                    metric=m["metric"],
                    total=int(m["total"]),
                    within_target=int(m["within_target"]),
                    breached=int(m["breached"]),
                    percent_within=optional_float(m.get("percent_within")),
                )
                for m in row["sla"]
            ],
        )


@strawberry.type(description="Survey results of the surveys offered in [from, to).")
class SurveyReport:
    from_: datetime = strawberry.field(name="from", description="Start (inclusive).")
    to: datetime = strawberry.field(description="End (exclusive).")
    customer_id: strawberry.ID | None = strawberry.field(
        description="For a customer administrator: always its own customer."
    )
    invited: int = strawberry.field(description="Surveys offered.")
    answered: int = strawberry.field(description="Surveys answered.")
    groups: list[SurveyGroup] = strawberry.field(description="One per group.")


@strawberry.type
class SurveysQuery:
    @strawberry.field(
        description=(
            "Survey results per agent, plan, customer or month, with the SLA attainment of the "
            "same cases. Staff see any customer; a customer administrator its own."
        )
    )
    async def survey_report(
        self,
        info: Info,
        group_by: Annotated[SurveyGroupBy, strawberry.argument(description="How to group.")],
        from_: Annotated[
            datetime, strawberry.argument(name="from", description="Surveys offered from.")
        ],
        to: Annotated[datetime, strawberry.argument(description="Surveys offered before.")],
        customer_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this customer's.")
        ] = None,
    ) -> SurveyReport:
        params = present(
            {
                "group_by": group_by.value,
                "from": from_.isoformat(),
                "to": to.isoformat(),
                "customer_id": optional_uuid_arg(customer_id, "customerId"),
            }
        )
        row = await info.context.tickets.get("/v1/reports/surveys", params=params)
        return SurveyReport(
            from_=datetime.fromisoformat(row["period_from"]),
            to=datetime.fromisoformat(row["period_to"]),
            customer_id=optional_id(row.get("customer_id")),
            invited=int(row["invited"]),
            answered=int(row["answered"]),
            groups=[SurveyGroup.from_rest(g) for g in row["groups"]],
        )


@strawberry.type
class SurveysMutation:
    @strawberry.mutation(
        description=(
            "Answers a survey once (SURVEY_ALREADY_ANSWERED the second time): the case's, as "
            "the contact asked (`ticketId`), or the one the link's `token` names."
        )
    )
    async def answer_survey(
        self,
        info: Info,
        answers: Annotated[SurveyAnswersInput, strawberry.argument(description="The answers.")],
        ticket_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The case surveyed.")
        ] = None,
        token: Annotated[
            str | None, strawberry.argument(description="The token of the survey link.")
        ] = None,
    ) -> Survey:
        if (ticket_id is None) == (token is None):
            raise gateway_error(VALIDATION_ERROR, "Give exactly one of `ticketId` and `token`.")
        if ticket_id is not None:
            path = f"/v1/tickets/{uuid_arg(ticket_id, 'ticketId')}/survey/answers"
        else:
            path = f"/v1/surveys/{path_segment(str(token), 'token')}/answers"
        return Survey.from_rest(await info.context.tickets.post(path, json=answers.to_rest()))

    @strawberry.mutation(
        description="The signed-in contact switches surveys off (never asked) or on again."
    )
    async def set_survey_opt_out(
        self,
        info: Info,
        opted_out: Annotated[bool, strawberry.argument(description="True: never ask me.")],
    ) -> SurveyOptOut:
        method = "PUT" if opted_out else "DELETE"
        return SurveyOptOut.from_rest(
            await info.context.tickets.request(method, "/v1/surveys/opt-out")
        )
