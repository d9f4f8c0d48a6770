"""Server-side prepared statements for the reads core.prepared keeps: parsed and planned once per connection.

psycopg2 puts the values into the SQL text on the client, so PostgreSQL parses, analyses and plans every
statement it receives. For the counter's reads — the same few statements with other values each time, one of them
the folded read of a whole settlement, several kilobytes long — that was about a third of the backend's CPU per
settlement (docs/benchmarks.md, "The counter's statements, prepared"). `run` sends such a statement once as
`PREPARE name AS ...` (its `%s` numbered `$1`, `$2`...) on the connection, and from then on `EXECUTE name(values)`:
PostgreSQL keeps the parsed statement and, after five executions whose plans cost the same, its generic plan.

A statement is prepared only when PostgreSQL reads its parameters as the values would have been read in the SQL
text: each parameter's type, which PostgreSQL infers from where the parameter stands, must be one that the value's
type is read as there (an integer where an integer, a numeric or a floating-point type stands; a string anywhere,
since a quoted string in the text is untyped too; a list where an array stands...). `SELECT %s` of an integer, whose
parameter PostgreSQL reads as text, is not prepared: it runs as before. So is any statement PostgreSQL refuses to
prepare. Preparing happens under a savepoint inside a transaction, so a refusal leaves the transaction as it was.

`run` serves a write too when its text does not depend on its rows (core.inserts' array rows): the counter's
hits, suspect items and events (review.writers.record_new). pghistory's context is not sent in front of an
EXECUTE (IGNORED_SQL_PREFIXES below), so such a write must touch no table with history triggers, or run after a
statement of the same transaction that set the context (set_config(..., true) lasts the transaction).

The statements live as long as the connection (a rolled-back transaction keeps them); a new connection starts
again. The name is the SQL text's digest, so a server connection shared by several client connections (PgBouncer
in session mode without a reset) finds the same statement under the same name. Behind PgBouncer in transaction
mode, where each transaction may get another server connection, SERVER_PREPARED_STATEMENTS must be off.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from decimal import Decimal

import pghistory.runtime
import psycopg2
import psycopg2.errors
import psycopg2.extensions
from django.conf import settings
from django.db import connection as default_connection

# the statements kept per connection (each a few kilobytes of the backend's memory); beyond it, plain statements
MAX_STATEMENTS = 256

_TOKEN = re.compile(r"%%|%s")
_INTEGERS = frozenset({"smallint", "integer", "bigint", "numeric", "real", "double precision"})
_TIMES = frozenset({"date", "timestamp with time zone", "timestamp without time zone"})
# the parameter types PostgreSQL may infer where psycopg2 would have written a value of this Python type, such that
# the statement means the same (a quoted string is untyped in the text, as a parameter is: any type)
_READ_AS: dict[type, frozenset | None] = {
    int: _INTEGERS, bool: frozenset({"boolean"}), Decimal: frozenset({"numeric", "real", "double precision"}),
    float: frozenset({"real", "double precision", "numeric"}), str: None, dt.datetime: _TIMES, dt.date: _TIMES,
}
_REFUSED = object()  # a statement PostgreSQL would not prepare as its text means: always sent as text
_EXECUTE = re.compile(r"EXECUTE (core_[0-9a-f]{24})\b")
# what this module executes are reads (core.prepared's), which pghistory leaves alone as it leaves every SELECT:
# without this, inside a pghistory.context it would send its context's settings in front of each of them
pghistory.runtime.IGNORED_SQL_PREFIXES = (*pghistory.runtime.IGNORED_SQL_PREFIXES, "execute core_")


def run(connection, cursor, sql: str, params: list) -> None:
    """Execute sql with params on Django's cursor: as a prepared statement of the connection when it can be."""
    name = _name(connection, sql, params)
    if name is None:
        cursor.execute(sql, params)
    elif params:
        cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(params))})", params)
    else:
        cursor.execute(f"EXECUTE {name}", params)


def text_of(sql: str, connection=None) -> str:
    """A statement as it was sent (Django's query log, CaptureQueriesContext), each EXECUTE of a statement that this
    connection prepared shown as that statement ($1, $2... for its values): for tests and logs that look for a
    table or a clause in what ran."""
    kept = getattr(connection or default_connection, "_prepared_statements", None)
    if kept is None or "EXECUTE core_" not in sql:
        return sql
    texts = {name: text for text, name in kept[1].items() if name is not _REFUSED}
    return _EXECUTE.sub(lambda m: _numbered(texts[m.group(1)]) if m.group(1) in texts else m.group(), sql)


def _name(connection, sql: str, params: list) -> str | None:
    """The prepared statement of sql on this connection (prepared now if need be), or None: send it as text."""
    if connection.vendor != "postgresql" or not settings.SERVER_PREPARED_STATEMENTS:
        return None
    raw = connection.connection
    kept = getattr(connection, "_prepared_statements", None)
    if kept is None or kept[0] is not raw:  # a new connection has none yet
        kept = connection._prepared_statements = (raw, {})
    names = kept[1]
    name = names.get(sql)
    if name is None:
        if len(names) >= MAX_STATEMENTS or raw.get_transaction_status() == \
                psycopg2.extensions.TRANSACTION_STATUS_INERROR:
            return None
        name = names[sql] = _prepare(raw, sql, params)
    return None if name is _REFUSED else name


def _numbered(sql: str) -> str:
    """The statement with $1, $2... for psycopg2's %s and % for its %%."""
    n = 0

    def number(match):
        nonlocal n
        if match.group() == "%%":
            return "%"
        n += 1
        return f"${n}"

    return _TOKEN.sub(number, sql)


def _reads_alike(values: list, types: list[str]) -> bool:
    """Whether each value, written into the text by psycopg2, would be read as the parameter's inferred type."""
    for value, pg_type in zip(values, types, strict=True):
        if value is None:
            continue
        if isinstance(value, list):
            if not pg_type.endswith("[]"):
                return False
            continue
        # by the nearest class psycopg2 adapts (a TextChoices member is a str; bool, before int, is its own)
        allowed = next((_READ_AS[k] for k in type(value).__mro__ if k in _READ_AS), frozenset())
        if allowed is not None and pg_type not in allowed:
            return False
    return True


def statement_name(sql: str) -> str:
    """The name of sql's prepared statement on any connection: its digest."""
    return "core_" + hashlib.sha1(sql.encode()).hexdigest()[:24]


def _prepare(raw, sql: str, params: list):
    """PREPARE sql on the driver's connection (under a savepoint inside a transaction); its name, or _REFUSED."""
    name = statement_name(sql)
    prepare = f"PREPARE {name} AS {_numbered(sql)}"
    types = f"SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = '{name}'"
    savepoint = not raw.autocommit  # inside a transaction (psycopg2 sends its BEGIN first)
    with raw.cursor() as cursor:
        try:
            cursor.execute((f"SAVEPOINT {name}; " if savepoint else "") + prepare)
        except psycopg2.Error as error:
            if savepoint:
                cursor.execute(f"ROLLBACK TO SAVEPOINT {name}; RELEASE SAVEPOINT {name}")
            # the same name is the same text: prepared on this server connection by another client (PgBouncer)
            if not isinstance(error, psycopg2.errors.DuplicatePreparedStatement):
                return _REFUSED
            cursor.execute(types)
        else:
            cursor.execute((f"RELEASE SAVEPOINT {name}; " if savepoint else "") + types)
        row = cursor.fetchone()
        if row is None or len(row[0]) != len(params) or not _reads_alike(params, row[0]):
            cursor.execute(f"DEALLOCATE {name}")
            return _REFUSED
    return name
