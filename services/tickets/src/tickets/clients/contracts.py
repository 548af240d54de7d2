"""Tickets' typed client for the contracts service (entitlement checks, who a caller is)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import httpx

from careplane_shared.errors import CareplaneError


class ContractsUnavailable(Exception):
    """Contracts did not answer in time: the case is accepted and checked again later."""


class AccountRefused(Exception):
    """Contracts refused the caller's own token (401, 403 or 404): the account was
    deactivated or deleted, the API key revoked, or the token is no longer valid."""

    def __init__(self, status_code: int, code: str) -> None:
        super().__init__(f"contracts answered {status_code} {code}")
        self.status_code = status_code
        self.code = code


class _CallerToken(httpx.Auth):
    """The caller's own bearer token instead of this service's credentials."""

    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        request.headers["authorization"] = f"Bearer {self.token}"
        yield request


class ContractsClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def check_entitlement(
        self,
        *,
        contact_id: uuid.UUID,
        product_id: uuid.UUID,
        version: str,
        at: datetime,
        customer_id: uuid.UUID | None = None,
    ) -> dict[str, Any]:
        """The entitlement answer; contracts' 4xx (unknown contact or product) is re-raised
        with its own code, anything else unreachable is ContractsUnavailable.

        ``customer_id``: the customer a customer's caller is confined to. Contracts then
        answers a contact of any other customer exactly as one that does not exist (404
        ``CONTACT_NOT_FOUND``, before anything else is looked at), so tickets needs no
        lookup of its own to keep the tenant wall."""
        payload = {
            "contact_id": str(contact_id),
            "product_id": str(product_id),
            "version": version,
            "at": at.isoformat(),
        }
        if customer_id is not None:
            payload["customer_id"] = str(customer_id)
        try:
            response = await self.http.post("/v1/entitlements/check", json=payload)
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

    async def included_services(self, customer_id: uuid.UUID, day: date) -> dict[str, Any]:
        """The services the customer's agreements in force on ``day`` include, its name
        and support center (``GET /v1/customers/{id}/included-services``). An unknown
        customer is re-raised with contracts' code (404); unreachable is
        ContractsUnavailable."""
        return await self._get(
            f"/v1/customers/{customer_id}/included-services", params={"day": day.isoformat()}
        )

    async def reopen_window_days(self, plan_id: uuid.UUID) -> int | None:
        """The plan's reopen window (its quota rule's ``reopen_window_days``, the window in
        which a reopened case gives its quota ticket back); None for a plan with no quota
        rule, whose window is the default."""
        plan = await self._get(f"/v1/plans/{plan_id}")
        quota = plan.get("quota") or {}
        days = quota.get("reopen_window_days")
        return int(days) if days is not None else None

    async def center_calendars(self) -> list[dict[str, Any]]:
        """Every support center's code, name, timezone and calendar."""
        body: list[dict[str, Any]] = await self._get("/v1/support-center-calendars")
        return body

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        try:
            response = await self.http.get(path, params=params)
        except httpx.HTTPError as exc:
            raise ContractsUnavailable(str(exc)) from exc
        if response.status_code >= 500 or response.status_code in (401, 403):
            raise ContractsUnavailable(f"contracts answered {response.status_code}")
        body = response.json()
        if response.status_code >= 400:
            error = body.get("error", {})
            raise CareplaneError(
                error.get("message", "Contracts refused the request."),
                code=error.get("code", "CONTRACTS_REFUSED"),
                status_code=response.status_code,
            )
        return body

    async def me(self, token: str) -> dict[str, Any]:
        """Who ``token`` stands for, asked with that token itself (``GET /v1/me``), not with
        ours: contracts answers for the account as it is now. AccountRefused when contracts
        refuses it (401/403/404); ContractsUnavailable when it cannot tell (unreachable,
        5xx, rate limited)."""
        try:
            response = await self.http.get("/v1/me", auth=_CallerToken(token))
        except httpx.HTTPError as exc:
            raise ContractsUnavailable(str(exc)) from exc
        if response.status_code in (401, 403, 404):
            try:
                code = str(response.json()["error"]["code"])
            except (ValueError, KeyError, TypeError):
                code = "UNAUTHENTICATED"
            raise AccountRefused(response.status_code, code)
        if not response.is_success:
            raise ContractsUnavailable(f"contracts answered {response.status_code}")
        try:
            body: dict[str, Any] = response.json()
        except ValueError as exc:
            raise ContractsUnavailable("contracts gave no valid answer") from exc
        return body
