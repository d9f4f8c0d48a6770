"""Append-only money: the one session setting that lets the services change money rows, and the triggers
that refuse everyone else (docs/security.md, "Append-only money").

Money rows are changed only by the services' write path, and there only by reversal. On PostgreSQL a trigger
on each money table refuses UPDATE and DELETE unless the transaction has set the setting `money.writer` to
`services`, which only the services do: `money_writes()` around a verb, `allow_money_writes(cursor)` in the
night's COPY writer. The setting is transaction-local (set_config(..., true)): it ends with the transaction,
and a rolled-back savepoint takes it back. INSERT is never checked, so COPY and INSERT ... SELECT pay nothing;
the guards are statement-level (one check per UPDATE or DELETE statement, whatever its size) except where a
row's state decides (a fee line is frozen only once its visit is settled).

This is a guard against careless hands (the admin, a shell, an ad-hoc SQL statement), not against someone who
can run SQL and reads this module: such a person can set the setting too. Database roles are the answer to that.
"""
from __future__ import annotations

import contextlib

import pghistory
import pghistory.middleware
import pgtrigger
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction

SETTING = "money.writer"
SERVICES = "services"
# true when the running transaction is not the services' write path
OUTSIDE_SERVICES = f"current_setting('{SETTING}', true) IS DISTINCT FROM '{SERVICES}'"


def _refuse(what: str) -> str:
    """A trigger body that raises the append-only error (SQLSTATE P0001, django.db.InternalError)."""
    return (f"RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ': ' || TG_OP || ' outside the money services "
            f"refused ({what}; docs/security.md, Append-only money)'; RETURN NULL;")


def append_only(name: str = "money_services_only") -> pgtrigger.Trigger:
    """UPDATE and DELETE of any row of the table refused outside the services' write path: one check per
    statement (a statement touching no row is refused as well), nothing on INSERT."""
    return pgtrigger.Trigger(
        name=name, level=pgtrigger.Statement, when=pgtrigger.Before,
        operation=pgtrigger.Update | pgtrigger.Delete, condition=pgtrigger.Condition(OUTSIDE_SERVICES),
        func=_refuse("money is append-only"))


def frozen_when(name: str, state_sql: str, what: str) -> pgtrigger.Trigger:
    """UPDATE of a row refused outside the services' path when state_sql (about OLD and NEW, may query) holds,
    and only when the row really changes. Row-level: the state is the row's."""
    func = f"IF {state_sql} THEN {_refuse(what)} END IF; RETURN NEW;"
    return pgtrigger.Trigger(
        name=name, level=pgtrigger.Row, when=pgtrigger.Before, operation=pgtrigger.Update,
        condition=pgtrigger.Condition(f"{OUTSIDE_SERVICES} AND OLD.* IS DISTINCT FROM NEW.*"), func=func)


def history_meta() -> dict:
    """The Meta of a history event model (pghistory.track(meta=...)): the history of a row is never changed
    or deleted either."""
    return {"triggers": [append_only()]}


def allow_money_writes(cursor) -> None:
    """For the rest of the cursor's transaction, this connection is the services' write path (the night's
    writer, which holds its chunk's transaction and writes with COPY and set-based SQL)."""
    cursor.execute("SELECT set_config(%s, %s, true)", [SETTING, SERVICES])


@contextlib.contextmanager
def money_writes(*, using: str = DEFAULT_DB_ALIAS, savepoint: bool = True, **context):
    """The block is the services' write path: inside one transaction (a savepoint when nested), money rows
    may be changed; on leaving, the setting is what it was before. `context` (user: a user or its pk, reason,
    ...; empty values dropped) is attached to the history events the block makes (pghistory.context), so the trail says who and why.

    savepoint=False: nested, the block takes no savepoint of its own (transaction.atomic's savepoint), for a
    caller whose transaction ends with any error the block raises (nothing of the block is kept apart).

    Two statements of its own: one makes the setting and reads the value before the block, one gives that
    value back after it, so nested blocks give back each its own. A block that fails gives nothing back: its
    savepoint's rollback takes the setting back (set_config(..., true) is transactional), or, with
    savepoint=False, the caller's transaction ends with the error."""
    connection = connections[using]
    user = context.pop("user", None)
    if getattr(user, "is_authenticated", False):
        context["user"] = user.pk
    elif isinstance(user, int):
        context["user"] = user
    context = {k: v for k, v in context.items() if v not in (None, "")}
    with transaction.atomic(using=using, savepoint=savepoint):
        if connection.vendor != "postgresql":
            yield
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(current_setting(%s, true), ''), set_config(%s, %s, true)",
                           [SETTING, SETTING, SERVICES])
            previous = cursor.fetchone()[0]
        with pghistory.context(**context) if context else contextlib.nullcontext():
            yield
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, true)", [SETTING, previous])


class HistoryMiddleware(pghistory.middleware.HistoryMiddleware):
    """pghistory's middleware (the user and URL of every write request on its history events), on PostgreSQL
    only: its context travels in PostgreSQL session settings, and the demo's SQLite has no history triggers."""

    def __call__(self, request):
        if connection.vendor != "postgresql":
            return self.get_response(request)
        return super().__call__(request)
