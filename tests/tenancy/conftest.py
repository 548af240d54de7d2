"""The tenancy suite's shared world: see tenancy_setup.py."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from careplane_shared.testing.plugin import ProvisionDatabase

# The suite's plain helper modules sit beside this file (importlib mode adds no path).
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tenancy_setup import World, build_world


@pytest.fixture(scope="module")
async def tenancy_world(
    request: pytest.FixtureRequest,
    provision_database: ProvisionDatabase,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[World]:
    """The two tenants' data and every caller, built once per test module on databases of
    the module's own: what one module's matrix changes (staff may close, revoke, delete)
    never weakens another's checks, and the apps' connections close with the module."""
    name = "tenancy_" + request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    async with AsyncExitStack() as stack:
        yield await build_world(stack, provision_database, tmp_path_factory.mktemp(name), name=name)
