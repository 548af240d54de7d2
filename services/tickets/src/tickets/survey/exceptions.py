"""The surveys' errors, each with its stable code."""

from __future__ import annotations

from careplane_shared.errors import CareplaneError, Conflict, Forbidden, NotFound


class SurveyNotFound(NotFound):
    """Also the answer to a token that does not verify: a guessed link learns nothing."""

    code = "SURVEY_NOT_FOUND"
    message = "No such survey."


class SurveyAlreadyAnswered(Conflict):
    code = "SURVEY_ALREADY_ANSWERED"
    message = "This survey has been answered; it is answered once."


class SurveyExpired(CareplaneError):
    status_code = 410
    code = "SURVEY_EXPIRED"
    message = "This survey link has expired."


class SurveyNotYours(Forbidden):
    code = "SURVEY_NOT_YOURS"
    message = "Only the contact who was asked answers a survey."


class SurveyOptOutNotForRole(Forbidden):
    code = "SURVEY_OPT_OUT_NOT_FOR_ROLE"
    message = "Only a contact switches its own surveys off or on."
