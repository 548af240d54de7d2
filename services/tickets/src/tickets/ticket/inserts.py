"""INSERT statements built from new objects and rows, in shapes SQLAlchemy compiles once.

SQLAlchemy caches a statement's compiled form by its shape, but a multi-row ``VALUES`` is
not cacheable: it is compiled anew at every execution, which cost more CPU than everything
else in opening a case. :func:`insert_rows` sends each column's values as one array and
unnests them instead: one shape whatever the number of rows, inserted in their order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


def insert_rows(table: Table, rows: Sequence[Mapping[str, Any]], *, name: str) -> Insert:
    """``rows`` (at least one, all with the same keys) inserted in their order; ``name``
    keeps the parameters of several such statements in one command apart. Columns left
    out take their defaults (a sequence's next value per row)."""
    columns = [table.c[key] for key in rows[0]]
    arrays = [
        bindparam(f"{name}_{c.key}", [row[c.key] for row in rows], type_=ARRAY(c.type))
        for c in columns
    ]
    unnested = func.unnest(*arrays).table_valued(*[c.key for c in columns]).render_derived()
    return insert(table).from_select(
        [c.key for c in columns], select(*[unnested.c[c.key] for c in columns])
    )
