"""The demo data ``make run`` loads, found through entry points rather than imported by name.

A service that has demo data declares it in its ``pyproject.toml``::

    [project.entry-points."careplane.seed"]
    contracts = "contracts.seed"

The entry point's name is the service whose database the data goes into; its object (a
module, usually) has ``async def seed(database_url: str) -> None`` and may list the demo
accounts it creates as ``DEMO_ACCOUNTS``: (email, role) pairs the runner prints.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from importlib.metadata import entry_points

from careplane_devrun.layout import DevRunError

GROUP = "careplane.seed"


@dataclass(frozen=True)
class DemoSeed:
    service: str
    seed: Callable[[str], Awaitable[None]]
    accounts: tuple[tuple[str, str], ...]


def discover_seeds(services: Collection[str]) -> list[DemoSeed]:
    """Every installed ``careplane.seed`` entry point, loaded and checked."""
    seeds: list[DemoSeed] = []
    for point in sorted(entry_points(group=GROUP), key=lambda point: point.name):
        if point.name not in services:
            raise DevRunError(
                f"the {GROUP} entry point {point.name!r} ({point.value}) names no service; "
                f"its name must be one of {', '.join(services)}"
            )
        try:
            target = point.load()
        except Exception as exc:
            raise DevRunError(f"cannot load the demo data {point.value}: {exc!r}") from exc
        seed = getattr(target, "seed", None)
        if not callable(seed):
            raise DevRunError(f"{point.value} has no seed(database_url) function")
        accounts = tuple(
            (str(email), str(role)) for email, role in getattr(target, "DEMO_ACCOUNTS", ())
        )
        seeds.append(DemoSeed(service=point.name, seed=seed, accounts=accounts))
    if not seeds:
        raise DevRunError(
            f"no demo data is installed (no {GROUP} entry point); run `make install` again"
        )
    return seeds
