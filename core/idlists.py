"""Many ids as the right-hand side of an `__in` filter, cheaply.

Django turns `field__in=[...]` into one query parameter per id and prepares each of them in Python: for the
thousands of persons or visits of a night's chunk, that preparing costs more than the query. On PostgreSQL
`among(ids)` sends them as one array parameter instead (`IN (SELECT unnest(%s::bigint[]))`); elsewhere, and for
a few ids, it is the list itself.
"""
from __future__ import annotations

from django.db import connection
from django.db.models.expressions import RawSQL

MANY = 100  # up to this many ids, the plain list (the counter's few)


def among(ids) -> list[int] | RawSQL:
    """`ids` (integers) for `field__in=`: the same rows as the list, as one array on PostgreSQL."""
    ids = sorted({int(i) for i in ids})
    if len(ids) <= MANY or connection.vendor != "postgresql":
        return ids
    return RawSQL("SELECT unnest(%s::bigint[])", (ids,))
