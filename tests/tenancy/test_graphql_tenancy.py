"""The tenant wall over the gateway's GraphQL schema, generated from the schema itself.

Every query and mutation field that takes an id (an ``ID`` argument, an ``ID`` inside its
input, or a case number or external id) is called by each customer-side caller of tenant A
(its administrator, its contact, a key bound to A) with tenant B's ids, and with A's own:
with B's ids the field answers an error or null (a list or connection may answer empty),
and no answer ever holds B's data (nor A's internal notes); B's ids are answered exactly
as ids of records that do not exist (the same error codes, null alike: no oracle); no
answer is an internal error. An argument the registry below does not know fails the test,
so a new field gets covered before the suite passes.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
    is_leaf_type,
)
from tenancy_setup import CUSTOMER_SIDE, World

# Argument (or input field) name → kind of record.
ARG_KINDS = {
    "ticketId": "ticket",
    "requestTicketId": "ticket",
    "contactId": "contact",
    "customerId": "customer",
    "customerIds": "customer",
    "agreementId": "agreement",
    "licenseKeyId": "license_key",
    "productId": "product",
    "productIds": "product",
    "planId": "plan",
    "assigneeId": "staff",
    "endpointId": "endpoint",
    "entryId": "time_entry",
    "supportCenterId": "support_center_id",
    "articleId": "article",
    "suggestionId": "suggestion",
    "ideaId": "idea",
    "visitId": "visit",
    "shiftId": "oncall_shift",
    "supportCenter": "support_center_code",
    # Not of type ID, but naming a tenant's record all the same.
    "number": "number",
    "externalId": "external_id",
}
# ``id`` means the record of the field's own type.
ID_OF_FIELD = {
    "ticketById": "ticket",
    "plan": "plan",
    "product": "product",
    "customer": "customer",
    "contact": "contact",
    "agreement": "agreement",
    "licenseKey": "license_key",
    "announcement": "announcement",
    "maintenanceWindow": "window",
    "webhookEndpoint": "endpoint",
    "delivery": "delivery",
    "cancelMaintenanceWindow": "window",
    "updateWebhookEndpoint": "endpoint",
    "rotateWebhookSecret": "endpoint",
    "deleteWebhookEndpoint": "endpoint",
    "resendDelivery": "delivery",
    "deleteChatChannel": "channel",
    # The mail channel's quarantine: the vendor's, no tenant's (staff only).
    "quarantinedMail": "quarantine",
    "releaseQuarantinedMail": "quarantine",
    "rejectQuarantinedMail": "quarantine",
    "knowledgeArticle": "article",
    "knowledgeArticleVersions": "article",
    "updateKnowledgeArticle": "article",
    "publishKnowledgeArticle": "article",
    "archiveKnowledgeArticle": "article",
    "knowledgeSuggestion": "suggestion",
    "idea": "idea",
    "voteIdea": "idea",
    "unvoteIdea": "idea",
    "markIdeaPlanned": "idea",
    "markIdeaShipped": "idea",
}
# Values that make an argument valid where its type alone does not (by argument name).
ARG_VALUES: dict[str, Any] = {
    "priority": "P3",
    "version": None,  # the shared version, filled in below
    "major": None,  # the shared major version
    "majorVersion": None,
    "url": "http://127.0.0.1:9/hook",
    "webhookUrl": "http://127.0.0.1:9/chat",
    "eventTypes": "*",  # (a list of it)
    "first": 5,  # small pages keep every document within the gateway's cost limit
    "email": "probe@probe.example",
    "timezone": "UTC",
    "status": None,  # the enum's first value
}
GHOSTS = {"number": "CS-2099-999999", "external_id": "ext-nobody-0000"}
CONCURRENCY = 8
# Staff and the vendor's own key run every probe too, for internal errors only.
VENDOR_CALLERS = ("admin", "vendor_key")
# Answers that stop a document before any resolver (and so any access rule) runs.
NOT_RUN = {"GRAPHQL_VALIDATION_FAILED", "QUERY_TOO_COMPLEX", "BAD_USER_INPUT"}
DEPTH = 2  # levels of object fields selected under each field


@dataclass
class Results:
    checked: int = 0
    fields: int = 0
    breaches: list[str] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    codes: Counter[str] = field(default_factory=Counter)
    not_run: set[str] = field(default_factory=set)  # stopped before any access rule
    oracles: list[str] = field(default_factory=list)
    compared: int = 0
    summary: str = ""


@dataclass
class Probe:
    operation: str  # query or mutation
    name: str
    variant: str
    document: str
    variables: dict[str, Any]
    ids: list[str]  # tenant-specific ids in the variables
    subject_ids: list[str]  # those in required arguments: the records the field acts on
    returns_list: bool
    ghost: dict[str, Any] | None = None  # B's call with ids of nothing instead


def _schema() -> GraphQLSchema:
    from careplane_gateway.config import GatewaySettings
    from careplane_gateway.graphql.schema import build_schema

    return build_schema(GatewaySettings(env="test"))._schema


def _kind(field_name: str, arg: str) -> str | None:
    if arg == "id":
        return ID_OF_FIELD.get(field_name, "?")
    return ARG_KINDS.get(arg)


def _takes_id(field_name: str, f: GraphQLField) -> bool:
    def has_id(t: GraphQLInputType, name: str, seen: set[str]) -> bool:
        named = get_named_type(t)
        if named.name == "ID" or name in ARG_KINDS:
            return True
        if isinstance(named, GraphQLInputObjectType) and named.name not in seen:
            seen.add(named.name)
            return any(has_id(v.type, k, seen) for k, v in named.fields.items())
        return False

    return any(has_id(a.type, n, set()) for n, a in f.args.items())


def _selection(t: Any, depth: int) -> str:
    named = get_named_type(t)
    if is_leaf_type(named) or not isinstance(named, GraphQLObjectType):
        return ""
    parts = []
    for name, f in named.fields.items():
        if any(isinstance(a.type, GraphQLNonNull) for a in f.args.values()):
            continue
        inner = get_named_type(f.type)
        if is_leaf_type(inner):
            parts.append(name)
        elif depth > 0 and isinstance(inner, GraphQLObjectType):
            sub = _selection(f.type, depth - 1)
            if sub:
                parts.append(f"{name} {sub}")
    return "{ " + " ".join(parts or ["__typename"]) + " }"


class Values:
    def __init__(self, world: World, variant: str, field_name: str) -> None:
        self.world = world
        self.tenant = world.b if variant == "B" else world.a
        self.variant = variant
        self.field_name = field_name
        self.ids: list[str] = []

    def record(self, kind: str) -> str:
        if kind in self.world.shared:
            return self.world.shared[kind]
        if self.variant == "ghost":  # a record that does not exist
            value = GHOSTS.get(kind) or str(uuid.uuid5(uuid.NAMESPACE_URL, f"ghost/{kind}"))
        else:
            value = self.tenant.first(kind)
        self.ids.append(value)
        return value

    def of(self, t: Any, name: str, *, top: bool) -> Any:
        required = isinstance(t, GraphQLNonNull)
        inner = t.of_type if required else t
        is_list = isinstance(inner, GraphQLList)
        named = get_named_type(t)
        kind = _kind(self.field_name, name) if top or name != "id" else None
        if kind == "?":
            raise LookupError(f"{self.field_name}({name}:) has no mapping in ID_OF_FIELD")
        if kind is not None:
            value: Any = self.record(kind)
            if name in ("major", "majorVersion"):
                value = int(value)
            return [value] if is_list else value
        if named.name == "ID" and required:
            raise LookupError(f"{self.field_name}({name}:) has no mapping in ARG_KINDS")
        if not required and name != "first":
            return None
        value = self.leaf(named, name)
        return [value] if is_list else value

    def leaf(self, named: Any, name: str) -> Any:
        if name in ("version",):
            return self.world.shared["version"]
        if name in ("major", "majorVersion"):
            return int(self.world.shared["major"])
        if ARG_VALUES.get(name) is not None:
            return ARG_VALUES[name]
        if isinstance(named, GraphQLEnumType):
            return next(iter(named.values))
        if isinstance(named, GraphQLInputObjectType):
            out = {}
            for key, value in named.fields.items():
                got = self.of(value.type, key, top=False)
                if got is not None:
                    out[key] = got
            return out
        if isinstance(named, GraphQLScalarType):
            soon = datetime.now(UTC) + timedelta(days=1)
            return {
                "String": "probe",
                "Int": 1,
                "Float": 1.0,
                "Boolean": False,
                "DateTime": soon.isoformat(),
                "Date": soon.date().isoformat(),
                "JSON": {},
                "Decimal": "100.00",
            }.get(named.name, "probe")
        return None


def build_probes(world: World, results: Results) -> list[Probe]:
    schema = _schema()
    probes: list[Probe] = []
    for operation, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        assert root is not None
        for name, f in root.fields.items():
            if not _takes_id(name, f):
                continue
            results.fields += 1
            for variant in ("B", "A"):
                values = Values(world, variant, name)
                variables = {}
                subject_ids: list[str] = []
                try:
                    for a, arg in f.args.items():
                        before = len(values.ids)
                        variables[a] = values.of(arg.type, a, top=True)
                        # An optional id argument filters; a required one names the subject.
                        if isinstance(arg.type, GraphQLNonNull):
                            subject_ids += values.ids[before:]
                except LookupError as e:
                    results.unmapped.append(str(e))
                    break
                variables = {k: v for k, v in variables.items() if v is not None}
                if variant == "B" and not values.ids:
                    continue  # names nothing of B's
                ghost = None
                if variant == "B":
                    nothing = Values(world, "ghost", name)
                    ghost = {a: nothing.of(f.args[a].type, a, top=True) for a in variables}
                declared = ", ".join(f"${a}: {f.args[a].type}" for a in variables)
                passed = ", ".join(f"{a}: ${a}" for a in variables)
                call = f"{name}({passed})" if passed else name
                document = (
                    f"{operation} Probe{f'({declared})' if declared else ''} "
                    f"{{ {call} {_selection(f.type, DEPTH)} }}"
                )
                inner = f.type.of_type if isinstance(f.type, GraphQLNonNull) else f.type
                connection = get_named_type(f.type).name.endswith("Connection")
                probes.append(
                    Probe(
                        operation,
                        name,
                        variant,
                        document,
                        variables,
                        values.ids,
                        subject_ids,
                        isinstance(inner, GraphQLList) or connection,
                        ghost,
                    )
                )
    return probes


def _judge(world: World, principal: str, probe: Probe, answer: Any, results: Results) -> None:
    results.checked += 1
    where = f"{probe.operation} {probe.name} as {principal} with {probe.variant}'s ids"
    if not isinstance(answer, dict):
        results.internal_errors.append(f"{where}: {answer}")
        return
    errors = answer.get("errors") or []
    for error in errors:
        code = (error.get("extensions") or {}).get("code", "?")
        if principal in CUSTOMER_SIDE:
            results.codes[f"{probe.variant}:{code}"] += 1
        if code in NOT_RUN and principal in CUSTOMER_SIDE:
            results.not_run.add(f"{probe.name}: {code}: {error.get('message', '')[:160]}")
        if code == "INTERNAL_ERROR":
            results.internal_errors.append(f"{where}: {error.get('message')}")
    if principal not in CUSTOMER_SIDE:
        return  # staff and the vendor's keys may see every tenant: only errors count
    data = json.dumps(answer.get("data"))
    said = json.dumps(errors) if errors else ""
    markers = world.b.markers
    leaked = sorted(m for m in markers if m in data)
    # An error may repeat the ids asked for; it must add nothing else of B's.
    leaked += sorted(m for m in markers - set(probe.ids) if m in said)
    if leaked:
        results.breaches.append(f"{where}: the answer holds B's {leaked[:5]}")
    if any(m in data for m in world.a.staff_only):
        results.breaches.append(f"{where}: the answer holds A's internal notes")
    if probe.variant == "B" and probe.subject_ids:
        value = (answer.get("data") or {}).get(probe.name)
        if value is not None and not probe.returns_list:
            results.breaches.append(f"{where}: answered {json.dumps(value)[:200]}")


def _outcome(answer: dict[str, Any], probe: Probe) -> str:
    codes = sorted((e.get("extensions") or {}).get("code", "?") for e in answer.get("errors") or [])
    value = (answer.get("data") or {}).get(probe.name)
    shape = "null" if value is None else ("empty" if value in ([], {}) else "data")
    return f"{shape} {codes}"


@pytest.fixture(scope="module")
async def graphql_results(tenancy_world: World) -> Results:
    world = tenancy_world
    client = world.clients["gateway"]
    results = Results()
    probes = build_probes(world, results)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def ask(principal: str, probe: Probe, variables: dict[str, Any]) -> Any:
        async with gate:
            response = await client.post(
                "/graphql",
                json={"query": probe.document, "variables": variables},
                headers=world.headers[principal],
            )
        if response.status_code >= 500:
            return f"HTTP {response.status_code} {response.text[:200]}"
        try:
            return response.json()
        except ValueError:
            return f"not JSON ({response.status_code})"

    async def send(principal: str, probe: Probe) -> None:
        answer = await ask(principal, probe, probe.variables)
        _judge(world, principal, probe, answer, results)
        if probe.ghost is not None and isinstance(answer, dict) and principal in CUSTOMER_SIDE:
            # B's ids must be answered as ids of nothing: the same error codes, null alike.
            unknown = await ask(principal, probe, probe.ghost)
            results.compared += 1
            if isinstance(unknown, dict) and _outcome(answer, probe) != _outcome(unknown, probe):
                results.oracles.append(
                    f"{probe.operation} {probe.name} as {principal}: B's ids answer"
                    f" {_outcome(answer, probe)}, ids of nothing {_outcome(unknown, probe)}"
                )

    # Customer-side callers first (B's ids, then A's), then staff and the vendor's keys,
    # whose writes may change what the first phases needed to find.
    phases = [
        [(p, x) for x in probes if x.variant == "B" for p in CUSTOMER_SIDE],
        [(p, x) for x in probes if x.variant == "A" for p in CUSTOMER_SIDE],
        [(p, x) for x in probes for p in VENDOR_CALLERS],
    ]
    for pairs in phases:
        await asyncio.gather(*(send(p, x) for p, x in pairs if x.operation == "query"))
        for p, x in pairs:
            if x.operation == "mutation":
                await send(p, x)
    results.summary = (
        f"tenancy (GraphQL): checked {results.checked} (field, principal, tenant)"
        f" combinations over {results.fields} fields that take an id,"
        f" {len(CUSTOMER_SIDE)} customer-side principal kinds (and {', '.join(VENDOR_CALLERS)}"
        f" for internal errors); {results.compared} answers to"
        " B's ids compared with the answers to ids of nothing"
    )
    print("\n" + results.summary)
    print("error codes by variant:", dict(sorted(results.codes.items())))
    for line in sorted(results.not_run):
        print(f"  not run: {line}")
    return results


def test_every_id_argument_is_mapped(graphql_results: Results, record_property: Any) -> None:
    record_property("tenancy", graphql_results.summary)  # shown at the end of the run
    assert graphql_results.unmapped == []
    assert graphql_results.checked > 0


def test_no_customer_reaches_another_tenant_through_graphql(graphql_results: Results) -> None:
    assert graphql_results.breaches == [], "\n".join(
        [f"{len(graphql_results.breaches)} breaches:", *graphql_results.breaches]
    )


def test_another_tenants_ids_answer_as_unknown_ones_in_graphql(graphql_results: Results) -> None:
    assert graphql_results.oracles == [], "\n".join(
        [f"{len(graphql_results.oracles)} oracles:", *graphql_results.oracles]
    )


def test_no_internal_errors_in_graphql(graphql_results: Results) -> None:
    assert graphql_results.internal_errors == [], "\n".join(graphql_results.internal_errors)
