"""Requests generated from a service's OpenAPI document, for the tenancy matrix.

Every path parameter is mapped to a real record through ``PATH_PARAMS`` (by name, or by
path prefix where one name means two things); a route with a parameter not listed there
cannot be generated, so a new route gets a mapping (and is covered) before the suite passes
again. Bodies are the smallest valid ones the schema allows, with every id-like property
filled from the same tenant, and adjusted by ``BODY_OVERRIDES`` where the schema alone does
not make a body the service accepts: the point is to reach the access rule, not validation.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

# Kinds of record: a tenant's own (Tenant.ids) or shared by every tenant (World.shared).
SHARED = {
    "product",
    "plan",
    "major",
    "staff",
    "support_center_id",
    "announcement",
    "mailbox",
    "version",
    "invitation_token",
    "quarantine",
    "article",
    "idea",
    "oncall_shift",
    "support_center_code",
}

# Path parameter name → kind of record; a callable picks by path where a name is ambiguous.
PATH_PARAMS: dict[str, str | Callable[[str], str]] = {
    "ticket_id": "ticket",
    "attachment_id": "attachment",
    "number": "number",
    "customer_id": "customer",
    "external_id": "external_id",
    "contact_id": "contact",
    "agreement_id": "agreement",
    "endpoint_id": "endpoint",
    "delivery_id": "delivery",
    "channel_id": "channel",
    "window_id": "window",
    "announcement_id": "announcement",
    "product_id": "product",
    "plan_id": "plan",
    "idea_id": "idea",
    "major": "major",
    "name": "mailbox",
    "message_id": "message",
    "quarantine_id": "quarantine",
    # Invitations are accepted with the mailed token alone (no bearer token): an unknown one.
    "token": "invitation_token",
    "article_id": "article",
    "suggestion_id": "suggestion",
    "key_id": lambda path: "api_key" if path.startswith("/v1/api-keys") else "license_key",
    "entry_id": "time_entry",
    "visit_id": "visit",
    "shift_id": "oncall_shift",
}

# Query parameters and body properties that name records (filled from the same tenant).
FIELD_IDS: dict[str, str | Callable[[str], str]] = {
    "ticket_id": "ticket",
    "request_ticket_id": "ticket",
    "customer_id": "customer",
    "customer_ids": "customer",
    "contact_id": "contact",
    "agreement_id": "agreement",
    "endpoint_id": "endpoint",
    "product_id": "product",
    "product_ids": "product",
    "plan_id": "plan",
    "assignee_id": "staff",
    "support_center_id": "support_center_id",
    "idea_id": "idea",
    "major_version": "major",
    "version": "version",
    "article_id": "article",
    "suggestion_id": "suggestion",
    "support_center": "support_center_code",
    "staff_id": "staff",
    "id": lambda path: {
        "/v1/tickets/batch": "ticket",
        "/v1/customers": "customer",
        "/v1/staff-users": "staff",
    }.get(path, "?"),
}

WRITE_METHODS = {"post", "put", "patch", "delete"}


def _soon(days: int = 1) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


# (METHOD, path) → fields merged over the generated body; values may be callables of
# ``pick(kind)`` (the same tenant's record of that kind).
BODY_OVERRIDES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/tickets"): {"subject": "tenancy probe", "description": "probe"},
    ("POST", "/v1/tickets/{ticket_id}/status"): {"status": "PENDING"},
    ("POST", "/v1/tickets/{ticket_id}/priority"): {"priority": "P3", "reason": "probe"},
    ("POST", "/v1/tickets/{ticket_id}/escalations"): {"kind": "CUSTOMER", "reason": "probe"},
    ("POST", "/v1/tickets/{ticket_id}/escalations/resolve"): {"resolution": "probe"},
    ("POST", "/v1/tickets/{ticket_id}/contact-attempts"): {
        "channel": "EMAIL",
        "outcome": "REACHED",
    },
    ("POST", "/v1/tickets/{ticket_id}/change-requests"): {"priority": "P3", "motivation": "probe"},
    ("POST", "/v1/tickets/{ticket_id}/change-requests/decision"): {
        "decision": "REFUSED",
        "reason": "probe",
    },
    ("POST", "/v1/tickets/{ticket_id}/attachments/links"): {
        "url": "https://files.example.com/log.txt",
        "filename": "log.txt",
    },
    ("POST", "/v1/knowledge/articles"): {
        "slug": lambda pick: f"probe-{uuid.uuid4().hex[:8]}",
    },
    ("POST", "/v1/tickets/{ticket_id}/feature-request"): {"route": "sales"},
    ("POST", "/v1/tickets/{ticket_id}/development"): {
        "issue_key": "PROBE-1",
        "issue_url": "https://tracker.example/PROBE-1",
    },
    ("POST", "/v1/tickets/{ticket_id}/development/fix"): {"version": "1.0"},
    ("POST", "/v1/ideas/{idea_id}/ship"): {"version": "1.0"},
    ("POST", "/v1/sla/simulate"): {"priority": "P2", "received_at": _soon(0)},
    ("POST", "/v1/webhook-endpoints"): {"url": "http://127.0.0.1:9/hook", "event_types": ["*"]},
    ("PATCH", "/v1/webhook-endpoints/{endpoint_id}"): {"description": "probe"},
    ("POST", "/v1/chat-channels"): {
        "kind": "slack",
        "webhook_url": "http://127.0.0.1:9/chat",
        "event_types": ["*"],
    },
    ("POST", "/v1/maintenance-windows"): {"starts_at": _soon(5), "ends_at": _soon(6)},
    ("POST", "/v1/deliveries/recover"): {"since": _soon(-1)},
    ("PUT", "/v1/contacts/{contact_id}/preferences"): {"opted_out": ["surveys"]},
    ("PUT", "/v1/staff-digest"): {"timezone": "UTC"},
    ("POST", "/v1/customers/{customer_id}/contacts"): {
        "email": lambda pick: f"probe-{uuid.uuid4().hex[:8]}@probe.example",
    },
    ("PATCH", "/v1/contacts/{contact_id}"): {"name": "Probe Person"},
    ("PATCH", "/v1/customers/{customer_id}"): {"timezone": "Europe/Amsterdam"},
    ("POST", "/v1/agreements/{agreement_id}/quota/consume"): {
        "ticket_id": lambda pick: pick("ticket")
    },
    ("POST", "/v1/agreements/{agreement_id}/quota/reversal"): {
        "ticket_id": lambda pick: pick("ticket")
    },
    ("POST", "/v1/agreements/{agreement_id}/quota/exchanges"): {"service": "onsite_visit"},
    ("POST", "/v1/billable-items"): {"kind": "other_support", "minutes": 15},
    ("POST", "/v1/tickets/{ticket_id}/time-entries"): {"minutes": 15, "activity": "investigation"},
    ("POST", "/v1/visits"): {"starts_at": _soon(9), "ends_at": _soon(10)},
    ("POST", "/v1/visits/{visit_id}/cancel"): {"reason": "probe"},
    ("POST", "/v1/tickets/{ticket_id}/emergency"): {"reason": "probe"},
    ("POST", "/v1/oncall-shifts"): {
        "staff_email": "probe@probe.example",
        "starts_at": _soon(20),
        "ends_at": _soon(21),
    },
    ("PATCH", "/v1/oncall-shifts/{shift_id}"): {"note": "probe"},
    ("POST", "/v1/license-keys/validate"): {"key": "not-a-key"},
    ("POST", "/v1/api-keys"): {"name": "probe key"},
    ("POST", "/v1/contacts/invitations/{token}/accept"): {"password": "probe-password-0123"},
    ("POST", "/v1/events"): {
        "id": lambda pick: f"probe-{uuid.uuid4().hex}",
        "source": "probe",
        "type": "probe.happened",
        "data": lambda pick: {"customer_id": pick("customer"), "ticket_id": pick("ticket")},
    },
}

# Routes whose request is not JSON: (METHOD, path) → keyword arguments for httpx.
RAW_REQUESTS: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/tickets/{ticket_id}/attachments"): {
        "content": b"probe attachment",
        "headers": {"content-type": "text/plain"},
        "params": {"filename": "probe.txt"},
    },
    ("POST", "/auth/token"): {"data": {"grant_type": "client_credentials"}},
    ("POST", "/v1/inbound/mime"): {
        "content": b"From: probe@probe.example\r\nSubject: probe\r\n\r\nprobe\r\n",
        "headers": {"content-type": "message/rfc822"},
    },
}

# Server-sent event streams answer with a body that never ends when access is granted.
STREAMS = {("GET", "/v1/tickets/events/stream")}


class UnmappedParameter(LookupError):
    pass


@dataclass
class Operation:
    service: str
    method: str  # upper case
    path: str  # template
    spec: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.service} {self.method} {self.path}"

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{([^}]+)}", self.path)

    @property
    def is_write(self) -> bool:
        return self.method.lower() in WRITE_METHODS and self.spec.get("x-careplane-access") not in (
            "read",
            "any",
        )


@dataclass
class Call:
    """One request of the matrix."""

    operation: Operation
    variant: str  # "none" (no optional ids), "A" or "B": whose ids the request carries
    url: str
    kwargs: dict[str, Any]
    path_ids: list[str] = field(default_factory=list)  # tenant-specific ids in the path
    other_ids: list[str] = field(default_factory=list)  # in query or body
    # The same call with ids that name nothing (for B's calls): must be answered alike.
    ghost: Call | None = None

    def signature(self) -> str:
        body = {k: v for k, v in self.kwargs.items() if k != "headers"}
        return f"{self.operation.method} {self.url} {json.dumps(body, default=str, sort_keys=True)}"


def operations(service: str, spec: dict[str, Any]) -> Iterator[Operation]:
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield Operation(service, method.upper(), path, op)


def kind_of(table: dict[str, str | Callable[[str], str]], name: str, path: str) -> str | None:
    kind = table.get(name)
    if callable(kind):
        kind = kind(path)
    return None if kind in (None, "?") else kind


class Generator:
    """Builds the calls of one operation for one tenant's ids."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.schemas = spec.get("components", {}).get("schemas", {})
        self.optional_ids = True

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.schemas[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def value(self, schema: dict[str, Any], name: str, path: str, pick: Picker) -> Any:
        schema = self.resolve(schema)
        kind = kind_of(FIELD_IDS, name, path)
        if kind is not None:
            picked = pick(kind)
            if kind == "major":
                picked = int(picked)
            is_list = schema.get("type") == "array" or any(
                self.resolve(s).get("type") == "array" for s in schema.get("anyOf", [])
            )
            return [picked] if is_list else picked
        for variant in ("anyOf", "oneOf"):
            if variant in schema:
                options = [self.resolve(s) for s in schema[variant]]
                usable = [s for s in options if s.get("type") != "null"] or options
                return self.value(usable[0], name, path, pick)
        if "allOf" in schema:
            return self.value(schema["allOf"][0], name, path, pick)
        if schema.get("examples"):
            example = schema["examples"][0]
            return example
        if "enum" in schema:
            return schema["enum"][0]
        if "default" in schema and schema["default"] is not None:
            return schema["default"]
        kind_ = schema.get("type")
        if kind_ == "object" or "properties" in schema:
            return self.object(schema, path, pick)
        if kind_ == "array":
            item = self.value(schema.get("items", {}), name, path, pick)
            return [item] * max(1, schema.get("minItems", 1))
        if kind_ == "integer":
            return max(1, int(schema.get("minimum", 1)))
        if kind_ == "number":
            return max(1.0, float(schema.get("minimum", 1)))
        if kind_ == "boolean":
            return False
        if kind_ == "string":
            fmt = schema.get("format")
            if fmt == "uuid":
                return str(uuid.uuid4())
            if fmt == "date-time":
                return _soon()
            if fmt == "date":
                return (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
            if fmt == "email" or "@" in schema.get("pattern", ""):
                return f"probe-{uuid.uuid4().hex[:8]}@probe.example"
            if fmt in ("uri", "url"):
                return "https://probe.example/"
            return "p" * max(1, int(schema.get("minLength", 1)))
        return None

    def object(self, schema: dict[str, Any], path: str, pick: Picker) -> dict[str, Any]:
        schema = self.resolve(schema)
        required = set(schema.get("required", []))
        body: dict[str, Any] = {}
        for name, prop in (schema.get("properties") or {}).items():
            # Optional properties that name records are filled too: they are what a caller
            # could point at another tenant.
            if name in required or (
                self.optional_ids and kind_of(FIELD_IDS, name, path) is not None
            ):
                body[name] = self.value(prop, name, path, pick)
        return body

    def call(self, op: Operation, variant: str, pick: Picker) -> Call:
        """``pick(kind)`` gives the record of that kind for the variant (raises
        UnmappedParameter for an unknown path parameter)."""
        self.optional_ids = variant != "none"
        tenant_ids: list[str] = []
        url = op.path
        for name in op.path_params:
            kind = kind_of(PATH_PARAMS, name, op.path)
            if kind is None:
                raise UnmappedParameter(f"{op.label}: path parameter {name!r} has no mapping")
            value = str(pick(kind))
            if kind not in SHARED:
                tenant_ids.append(value)
            url = url.replace("{" + name + "}", value)
        call = Call(op, variant, url, {}, path_ids=tenant_ids)

        def tracking(kind: str) -> str:
            value = str(pick(kind))
            if kind not in SHARED:
                call.other_ids.append(value)
            return value

        params: dict[str, Any] = {}
        for param in op.spec.get("parameters", []):
            if param["in"] != "query":
                continue
            name = param["name"]
            is_id = kind_of(FIELD_IDS, name, op.path) is not None
            if param.get("required") or (is_id and variant != "none"):
                params[name] = self.value(param.get("schema", {}), name, op.path, tracking)
        raw = RAW_REQUESTS.get((op.method, op.path))
        if raw is not None:
            call.kwargs.update({k: (dict(v) if isinstance(v, dict) else v) for k, v in raw.items()})
            params.update(call.kwargs.pop("params", {}))
        else:
            content = op.spec.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                body = self.value(content["application/json"]["schema"], "", op.path, tracking)
                if not isinstance(body, dict):
                    body = {}
                for key, value in BODY_OVERRIDES.get((op.method, op.path), {}).items():
                    body[key] = value(tracking) if callable(value) else value
                call.kwargs["json"] = body
        if params:
            call.kwargs["params"] = params
        return call


Picker = Callable[[str], str]
