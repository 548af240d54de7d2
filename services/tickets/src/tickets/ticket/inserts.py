"""INSERT statements for new objects and rows, built once per shape and compiled once.

SQLAlchemy caches a statement's compiled form by its shape, but a multi-row ``VALUES`` is
not cacheable: it is compiled anew at every execution, which cost more CPU than everything
else in opening a case. :func:`insert_rows` sends each column's values as one array and
unnests them instead: one shape whatever the number of rows, inserted in their order. Its
statements are built once per table and columns (their values come as parameters, from
:func:`row_arrays`): building a statement and working out its cache key cost more than
running it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, Insert, insert

from tickets.models import Base


def table_of(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def given(row: Base) -> dict[str, Any]:
    """The columns set on a new, unsaved object: what its INSERT sends (the others take
    the table's defaults)."""
    values = row.__dict__
    return {c.key: values[c.key] for c in table_of(type(row)).columns if c.key in values}


@lru_cache(maxsize=64)
def insert_rows(table: Table, keys: tuple[str, ...], *, name: str) -> Insert:
    """The statement that inserts rows of these columns in their order, from the
    parameters :func:`row_arrays` makes with the same ``name`` (which keeps apart those
    of several such statements in one command). Columns left out take their defaults (a
    sequence's next value per row)."""
    columns = [table.c[key] for key in keys]
    arrays = [bindparam(f"{name}_{c.key}", type_=ARRAY(c.type)) for c in columns]
    unnested = func.unnest(*arrays).table_valued(*keys).render_derived()
    return insert(table).from_select(list(keys), select(*[unnested.c[key] for key in keys]))


def row_arrays(rows: Sequence[Mapping[str, Any]], *, name: str) -> dict[str, list[Any]]:
    """The parameters of :func:`insert_rows` for ``rows`` (at least one, all with the same
    keys)."""
    return {f"{name}_{key}": [row[key] for row in rows] for key in rows[0]}
