"""Products and their lifecycles: major versions with their milestones and phases, and the
releases of each."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from careplane_gateway.graphql.arguments import with_query
from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.convert import Row, optional_date, to_id

# Phases in which a version gets support (of MAINSTREAM, EXTENDED and END_OF_LIFE).
SUPPORTED_PHASES = frozenset({"MAINSTREAM", "EXTENDED"})


def lifecycle_path(product_id: object, at: date | None) -> str:
    return with_query(f"/v1/products/{product_id}/lifecycle", at=at.isoformat() if at else None)


def supported_versions_path(product_id: object, at: date | None) -> str:
    return with_query(
        f"/v1/products/{product_id}/supported-versions", at=at.isoformat() if at else None
    )


@strawberry.type(description="A release (minor version) of a major version.")
class Release:
    version: str = strawberry.field(description="The full version, e.g. 5.2.1.")
    release_state: str = strawberry.field(description="Production, Long Term Support, ...")
    released_on: date | None = strawberry.field(description="The release date.")

    @classmethod
    def from_rest(cls, row: Row) -> Release:
        return cls(
            version=row["version"],
            release_state=row["release_state"],
            released_on=optional_date(row.get("released_on")),
        )


@strawberry.type(
    description=(
        "A major version's lifecycle. EOMS = max(EOS + 1 year, next major's GA + 2 years); "
        "EOL = max(EOMS + 1 year, GA + 5 years); either may be overridden with a reason."
    )
)
class MajorVersion:
    major: int = strawberry.field(description="The major version number.")
    ga: date = strawberry.field(description="General availability.")
    eos: date | None = strawberry.field(description="End of sale.")
    eoms: date | None = strawberry.field(description="End of mainstream support.")
    eol: date | None = strawberry.field(description="End of life: end of extended support.")
    phase: str = strawberry.field(
        description="At the date asked for: MAINSTREAM, EXTENDED or END_OF_LIFE."
    )
    eoms_derived: bool = strawberry.field(description="EOMS follows the rule (not overridden).")
    eol_derived: bool = strawberry.field(description="EOL follows the rule (not overridden).")
    override_reason: str | None = strawberry.field(
        description="Why EOMS or EOL differ from the rule; null when they follow it."
    )
    release_state: str = strawberry.field(
        description="The release state, e.g. Production or Long Term Support."
    )
    releases: list[Release] = strawberry.field(description="Its minor releases.")

    @classmethod
    def from_rest(cls, row: Row) -> MajorVersion:
        return cls(
            major=int(row["major"]),
            ga=date.fromisoformat(row["ga"]),
            eos=optional_date(row.get("eos")),
            eoms=optional_date(row.get("eoms")),
            eol=optional_date(row.get("eol")),
            phase=row["phase"],
            eoms_derived=bool(row["eoms_derived"]),
            eol_derived=bool(row["eol_derived"]),
            override_reason=row.get("override_reason"),
            release_state=row["release_state"],
            releases=[Release.from_rest(r) for r in row.get("releases") or ()],
        )

    @strawberry.field(description="Supported at that date: in mainstream or extended support.")
    def supported(self) -> bool:
        return self.phase in SUPPORTED_PHASES

    @strawberry.field(
        description="Only vulnerabilities and critical bugs are handled (extended support)."
    )
    def limited_support(self) -> bool:
        return self.phase == "EXTENDED"


@strawberry.type(description="A release still supported at a date.")
class SupportedVersion:
    version: str = strawberry.field(description="The version, e.g. 5.2.1.")
    major: int = strawberry.field(description="Its major version.")
    phase: str = strawberry.field(description="MAINSTREAM or EXTENDED at the date asked for.")
    release_state: str = strawberry.field(description="The release state, e.g. Production.")

    @classmethod
    def from_rest(cls, row: Row) -> SupportedVersion:
        return cls(
            version=row["version"],
            major=int(row["major"]),
            phase=row["phase"],
            release_state=row["release_state"],
        )


@strawberry.type(description="A product the vendor supports.")
class Product:
    id: strawberry.ID = strawberry.field(description="The product's ID (`GET /v1/products/{id}`).")
    code: str = strawberry.field(description="A stable short code.")
    name: str = strawberry.field(description="The product's display name.")
    description: str | None = strawberry.field(
        description="What the product is; null when not written."
    )

    @classmethod
    def from_rest(cls, row: Row) -> Product:
        return cls(
            id=to_id(row["id"]),
            code=row["code"],
            name=row["name"],
            description=row.get("description"),
        )

    @classmethod
    async def load(cls, info: Info, product_id: object) -> Product:
        """A product by id, from the request's list of products (PRODUCT_NOT_FOUND)."""
        return cls.from_rest(await info.context.loaders.contracts.product_row(product_id))

    @strawberry.field(description="Major versions, oldest first, with phases at `at` (today).")
    async def lifecycle(
        self,
        info: Info,
        at: Annotated[
            date | None,
            strawberry.argument(description="The date to compute phases at; today when null."),
        ] = None,
    ) -> list[MajorVersion]:
        rows = await info.context.loaders.contracts.by_path.load(lifecycle_path(self.id, at))
        return [MajorVersion.from_rest(row) for row in rows]

    @strawberry.field(description="Releases in mainstream or extended support at `at` (today).")
    async def supported_versions(
        self,
        info: Info,
        at: Annotated[
            date | None, strawberry.argument(description="The date to ask about; today when null.")
        ] = None,
    ) -> list[SupportedVersion]:
        path = supported_versions_path(self.id, at)
        rows = await info.context.loaders.contracts.by_path.load(path)
        return [SupportedVersion.from_rest(row) for row in rows]
