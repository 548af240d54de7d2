"""A client's side of the gateway's GraphQL endpoint, for tests: post an operation, read its
data or its one error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from careplane_shared.testing import bearer


async def graphql(
    client: httpx.AsyncClient,
    token: str | None,
    query: str,
    variables: Mapping[str, Any] | None = None,
    *,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The response body of ``POST /graphql`` (data, errors or both), as ``token``'s bearer
    (None: anonymous). An answer other than 200 fails the test: GraphQL errors come in the
    body."""
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": dict(variables or {})},
        headers={**(bearer(token) if token else {}), **(headers or {})},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def data_of(
    client: httpx.AsyncClient,
    token: str | None,
    query: str,
    variables: Mapping[str, Any] | None = None,
    *,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The operation's data; any error fails the test."""
    body = await graphql(client, token, query, variables, headers=headers)
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


def only_error(body: Mapping[str, Any]) -> dict[str, Any]:
    """The one error of a response body (more or none fails the test)."""
    [error] = body["errors"]
    return dict(error)


async def error_code(
    client: httpx.AsyncClient,
    token: str | None,
    query: str,
    variables: Mapping[str, Any] | None = None,
) -> str:
    """The code of the operation's one error."""
    body = await graphql(client, token, query, variables)
    code: str = only_error(body)["extensions"]["code"]
    return code
