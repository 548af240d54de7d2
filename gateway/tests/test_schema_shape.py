"""The public GraphQL schema, pinned: integrators build against it, so it changes only on
purpose. ``schema.graphql`` beside this file is the SDL the gateway serves; a change to the
code that alters it (a renamed field, a reordered argument, an edited description) fails
here until the snapshot is written again, deliberately, and the diff reviewed with it."""

from __future__ import annotations

import difflib
from pathlib import Path

from careplane_gateway.config import GatewaySettings
from careplane_gateway.graphql.schema import build_schema

SNAPSHOT = Path(__file__).with_name("schema.graphql")

UPDATE = (
    "To accept the change on purpose, write the snapshot again with `make schema` and commit "
    "it with the code."
)


def test_the_schema_is_the_committed_snapshot() -> None:
    # The file ends with a newline, as text files do; the SDL itself does not.
    served = build_schema(GatewaySettings(env="test")).as_str() + "\n"
    pinned = SNAPSHOT.read_text(encoding="utf-8")
    if served != pinned:
        diff = "".join(
            difflib.unified_diff(
                pinned.splitlines(keepends=True),
                served.splitlines(keepends=True),
                fromfile="gateway/tests/schema.graphql (committed)",
                tofile="the schema the code builds",
            )
        )
        raise AssertionError(f"The GraphQL schema changed:\n{diff}\n{UPDATE}")
