"""Offset pagination with totals, the same shape on every list endpoint."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

T = TypeVar("T")

# Deep offsets cost the database a scan of every skipped row; past this, narrow the list
# with its filters instead.
MAX_OFFSET = 10_000


class PageParams(BaseModel):
    limit: int
    offset: int

    def of(self, items: Sequence[T], total: int) -> Page[T]:
        """The page answer for these items of ``total`` matches."""
        return Page(items=list(items), total=total, limit=self.limit, offset=self.offset)


def _page_params(
    limit: Annotated[int, Query(ge=1, le=200, description="Items per page.")] = 50,
    offset: Annotated[
        int, Query(ge=0, le=MAX_OFFSET, description=f"Items to skip (at most {MAX_OFFSET}).")
    ] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageParamsDep = Annotated[PageParams, Depends(_page_params)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
