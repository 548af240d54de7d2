"""Tickets' typed client for the contracts service (entitlement checks)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx

from careplane_shared.errors import CareplaneError


class ContractsUnavailable(Exception):
    """Contracts did not answer in time: the case is accepted and checked again later."""


class ContractsClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def check_entitlement(
        self, *, contact_id: uuid.UUID, product_id: uuid.UUID, version: str, at: datetime
    ) -> dict[str, Any]:
        """The entitlement answer; contracts' 4xx (unknown contact or product) is re-raised
        with its own code, anything else unreachable is ContractsUnavailable."""
        try:
            response = await self.http.post(
                "/v1/entitlements/check",
                json={
                    "contact_id": str(contact_id),
                    "product_id": str(product_id),
                    "version": version,
                    "at": at.isoformat(),
                },
            )
        except httpx.HTTPError as exc:
            raise ContractsUnavailable(str(exc)) from exc
        if response.status_code >= 500 or response.status_code == 401:
            # 401: our own service credentials failed; the case must not be lost for it.
            raise ContractsUnavailable(f"contracts answered {response.status_code}")
        body: dict[str, Any] = response.json()
        if response.status_code >= 400:
            error = body.get("error", {})
            raise CareplaneError(
                error.get("message", "The entitlement check failed."),
                code=error.get("code", "ENTITLEMENT_CHECK_FAILED"),
                status_code=response.status_code if response.status_code != 403 else 422,
            )
        return body

    async def resolved_policy(
        self, plan_id: uuid.UUID, customer_id: uuid.UUID | None
    ) -> dict[str, Any]:
        try:
            response = await self.http.get(
                f"/v1/plans/{plan_id}/sla-policy",
                params={"customer_id": str(customer_id)} if customer_id else None,
            )
        except httpx.HTTPError as exc:
            raise ContractsUnavailable(str(exc)) from exc
        body: dict[str, Any] = response.json()
        if response.status_code >= 400:
            error = body.get("error", {})
            raise CareplaneError(
                error.get("message", "The plan could not be read."),
                code=error.get("code", "PLAN_NOT_FOUND"),
                status_code=response.status_code if response.status_code < 500 else 503,
            )
        return body
