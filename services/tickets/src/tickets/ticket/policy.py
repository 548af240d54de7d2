"""The per-deployment settings the case rules need."""

from __future__ import annotations

from dataclasses import dataclass

from tickets.survey.sampling import SurveyPolicy


@dataclass(frozen=True, slots=True)
class TicketPolicy:
    """Per-deployment settings the rules need."""

    number_prefix: str
    warning_fraction: float
    # Satisfaction surveys at closing (tickets.survey); None: never asked.
    surveys: SurveyPolicy | None = None
