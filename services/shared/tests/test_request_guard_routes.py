"""The request guard finds, for any request, the route the router finds: the first one
whose pattern and method fully match (it skips, without matching their pattern, the
routes whose literal path start or methods cannot fit)."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from starlette.routing import Match

from careplane_shared.auth import CurrentPrincipal
from careplane_shared.request_guard import RequestGuardMiddleware, RouteGuard, guard_of


class Note(BaseModel):
    text: str


def app_with_lookalike_routes() -> FastAPI:
    app = FastAPI()

    @app.post("/v1/things/{thing_id}")
    async def write(thing_id: str, _: CurrentPrincipal, note: Note) -> None: ...

    @app.put("/v1/things/{thing_id}")
    async def upload(thing_id: str, request: Request) -> None: ...

    @app.post("/v1/things/special")  # shadowed by the route above, as in the router
    async def special(note: Note) -> None: ...

    @app.post("/v1/things")
    async def create(_: CurrentPrincipal, note: Note) -> None: ...

    @app.post("/v1/numbers/{n:int}")
    async def number(n: int, note: Note) -> None: ...

    @app.post("/v1/numbers/latest")
    async def latest(_: CurrentPrincipal, note: Note) -> None: ...

    @app.post("/v1/files/{path:path}")
    async def file(path: str, request: Request) -> None: ...

    @app.api_route("/v1/any", methods=["POST", "PATCH", "DELETE"])
    async def any_method(_: CurrentPrincipal) -> None: ...

    included = APIRouter(prefix="/v1/included/{owner}")

    @included.post("/notes")
    async def note(owner: str, _: CurrentPrincipal, note: Note) -> None: ...

    app.include_router(included)
    return app


def every_route_in_turn(app: FastAPI, scope: dict) -> RouteGuard | None:
    """What the guard answered before it skipped any route: each one matched in order."""
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute):
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return guard_of(route)
    return None


REQUESTS = [
    ("POST", "/v1/things"),
    ("POST", "/v1/things/42"),
    ("PUT", "/v1/things/42"),
    ("PATCH", "/v1/things/42"),
    ("POST", "/v1/things/special"),
    ("POST", "/v1/things/42/more"),
    ("POST", "/v1/thingsx"),
    ("POST", "/v1/numbers/7"),
    ("POST", "/v1/numbers/latest"),
    ("POST", "/v1/numbers/-"),
    ("POST", "/v1/files/a/b/c.txt"),
    ("POST", "/v1/files/"),
    ("POST", "/v1/any"),
    ("DELETE", "/v1/any"),
    ("PUT", "/v1/any"),
    ("POST", "/v1/included/acme/notes"),
    ("POST", "/v1/included//notes"),
    ("POST", "/"),
    ("POST", "/nowhere"),
]


@pytest.mark.parametrize(("method", "path"), REQUESTS)
@pytest.mark.parametrize("root_path", ["", "/api/tickets"])
def test_the_guard_finds_the_route_the_router_finds(method, path, root_path):
    app = app_with_lookalike_routes()
    guard = RequestGuardMiddleware(app, routes_of=app, max_body_bytes=1024, max_stream_bytes=4096)
    scope = {
        "type": "http",
        "method": method,
        "path": root_path + path,
        "root_path": root_path,
        "headers": [],
    }
    assert guard._guard(scope) == every_route_in_turn(app, scope)


def test_lookalike_routes_are_told_apart():
    app = app_with_lookalike_routes()
    guard = RequestGuardMiddleware(app, routes_of=app, max_body_bytes=1024, max_stream_bytes=4096)

    def guard_for(method: str, path: str) -> RouteGuard | None:
        scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}
        return guard._guard(scope)

    token_and_body = RouteGuard(needs_token=True, streams_body=False)
    assert guard_for("POST", "/v1/things/special") == token_and_body  # the first route wins
    assert guard_for("PUT", "/v1/things/42") == RouteGuard(needs_token=False, streams_body=True)
    assert guard_for("POST", "/v1/numbers/latest") == token_and_body
    assert guard_for("POST", "/v1/numbers/7") == RouteGuard(needs_token=False, streams_body=False)
    assert guard_for("POST", "/v1/included/acme/notes") == token_and_body
    assert guard_for("PUT", "/v1/any") is None
