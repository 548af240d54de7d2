"""What the ideas' routes answer and accept."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from tickets.ideas.rules import FeatureRoute, IdeaStatus
from tickets.ticket.schemas import TicketRead

Version = Field(min_length=1, max_length=50, pattern=r"^\S+$")


class IdeaCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    description: str = Field(min_length=1, max_length=20_000)
    product_id: uuid.UUID | None = None
    public: bool = Field(
        default=True, description="Shown to every customer's contacts (else staff only)."
    )


class IdeaRead(BaseModel):
    id: uuid.UUID
    title: str
    description: str
    product_id: uuid.UUID | None
    status: IdeaStatus
    public: bool
    planned_version: str | None
    shipped_version: str | None
    shipped_at: datetime | None
    created_at: datetime
    votes: int = Field(description="How many contacts voted for it.")
    asked: int = Field(description="How many cases asked for it.")
    voted: bool = Field(description="Whether the calling contact voted for it.")


class IdeaPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str | None = Field(default=None, min_length=1, max_length=50, pattern=r"^\S+$")


class IdeaShip(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Version


class FeatureRouteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    route: FeatureRoute
    note: str | None = Field(default=None, max_length=5000)
    idea_id: uuid.UUID | None = Field(
        default=None, description="development: merge the case into this existing idea."
    )
    idea: IdeaCreate | None = Field(
        default=None,
        description=(
            "development: the new idea, worded by staff for every customer to read (the "
            "case's own text is its customer's); its product is the case's when not given."
        ),
    )


class FeatureRouteRead(BaseModel):
    ticket_id: uuid.UUID
    route: FeatureRoute
    note: str | None
    routed_by: str
    routed_at: datetime
    idea: IdeaRead | None
    ticket: TicketRead
