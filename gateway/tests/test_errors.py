"""What a GraphQL caller sees when a service answers with something other than our error shape,
and when a resolver fails in a way nobody planned for."""

from __future__ import annotations

import httpx
from graphql import GraphQLError

from careplane_gateway.graphql.errors import coded, error_from_response


def test_a_service_error_keeps_its_code_message_and_details() -> None:
    response = httpx.Response(
        422,
        json={
            "error": {
                "code": "VALIDATION_ERROR",
                "message": "The request is not valid.",
                "request_id": "r1",
                "details": [{"loc": ["body", "subject"], "msg": "Field required"}],
            }
        },
    )

    error = error_from_response("tickets", response)

    assert error.message == "The request is not valid."
    assert error.extensions == {
        "code": "VALIDATION_ERROR",
        "service": "tickets",
        "status": 422,
        "details": [{"loc": ["body", "subject"], "msg": "Field required"}],
    }


def test_an_answer_without_our_error_shape_gets_a_code_from_its_status() -> None:
    html = httpx.Response(502, text="<html>Bad Gateway</html>")
    crashed = httpx.Response(500, text="oops")

    assert error_from_response("notify", html).extensions == {
        "code": "BAD_GATEWAY",
        "service": "notify",
        "status": 502,
    }
    assert error_from_response("notify", crashed).extensions["code"] == "INTERNAL_ERROR"


def test_an_unexpected_resolver_failure_is_masked() -> None:
    leaked = RuntimeError("password=hunter2")
    error = GraphQLError("password=hunter2", path=["me"], original_error=leaked)

    shown = coded(error)

    assert shown.message == "Something went wrong on our side."
    assert shown.extensions == {"code": "INTERNAL_ERROR"}
    assert shown.path == ["me"]


def test_an_error_that_has_a_code_is_shown_as_it_is() -> None:
    error = GraphQLError("No such ticket.", path=["ticket"], extensions={"code": "NOT_FOUND"})

    assert coded(error) is error
