"""Field options, constraints and triggers the claims models share."""
from decimal import Decimal

import pghistory
import pgtrigger
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Abs
from django.utils.translation import gettext_lazy as _

from core.ledger import history_meta
from policy_rules.engine.adjudicate import LAYER_COLUMNS, LINE_SUMS, SETTLEMENT_COLUMNS
from policy_rules.engine.layers import LAYER_AMOUNTS

MONEY = {"max_digits": 14, "decimal_places": 2}
AMOUNT = {**MONEY, "validators": [MinValueValidator(0)]}  # money that is never negative
QUANTITY = {"max_digits": 16, "decimal_places": 4}

# a fee line's classified parts and a settlement's 14 amounts, then the project's layers (docs/benefit-layers.md:
# cvlserv_pay, hifdm_pay, oth_pay, matn_pay and the maternity allowance matn_alwn_amt): the engine's columns,
# named once there
LINE_PART_FIELDS = LINE_SUMS[1:]
SETTLEMENT_AMOUNT_FIELDS = (*SETTLEMENT_COLUMNS, *LAYER_COLUMNS)
# what fund_pay_sumamt sums: the basic layers, the project's layers (not the allowance, paid to the person) and
# medical assistance
FUND_PAY_FIELDS = ("hifp_pay", "hifob_pay", "hifmi_pay", *LAYER_AMOUNTS, "maf_pay")


def _gte_zero(field: str, nullable: bool = False) -> models.CheckConstraint:
    condition = Q(**{f"{field}__gte": 0})
    if nullable:
        condition |= Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(condition=condition, name=f"%(app_label)s_%(class)s_{field}_gte_0")


def _equals_sum(total: str, fields) -> models.lookups.LessThan:
    """total = Σ fields, to the fen. Compared as |difference| < 0.005 because SQLite evaluates
    decimal CHECK expressions in binary floating point; on PostgreSQL (numeric) it is exact."""
    return models.lookups.LessThan(Abs(F(total) - _sum_of(fields)), Value(Decimal("0.005")))


def _sum_of(fields) -> F:
    total = F(fields[0])
    for name in fields[1:]:
        total = total + F(name)
    return total


def _append_only() -> list:
    """Rows of an append-only table are never deleted and keep their id: what a foreign key's row lock on
    them would guard (SettlementLine's keys are checked per statement instead, see _keys_exist)."""
    return [
        pgtrigger.Protect(name="no_delete", operation=pgtrigger.Delete),
        pgtrigger.Protect(name="keep_id", operation=pgtrigger.Update,
                          condition=pgtrigger.Q(old__id__df=pgtrigger.F("new__id"))),
    ]


def _history(**options):
    """pghistory.track with statement-level triggers and append-only events.

    Statement level: a statement's events are written by one INSERT ... SELECT from its transition table, with
    the context attached once, instead of a trigger call, an event insert and a context upsert per row. The
    events are never changed or deleted (core.ledger.history_meta)."""
    return pghistory.track(*options.pop("trackers", ()), level=pghistory.Statement, meta=history_meta(),
                           **options)


def _keys_exist(table: str, keys: dict[str, str], repeated: tuple[str, ...] = ()) -> list:
    """Statement-level foreign-key checks: after each INSERT or UPDATE, every new row's keys must exist in their
    tables, checked once for the statement's rows together (a join) instead of once per row: the night writes
    settlement lines by the million, and per-row checks would cost more than the rows. `repeated`: the keys many
    rows share (a settlement's lines share its id), each probed once per distinct value."""
    # the LATERAL ... LIMIT 1 makes each check a probe of the parent's primary key per new row (or distinct key),
    # whatever the statement's size: never a scan of the parent table, which grows with the history. A row whose
    # key finds no parent (a NULL key included) fails the statement.
    def rows(column: str) -> str:
        if column in repeated:
            return f"(SELECT DISTINCT {column} FROM new_rows) n"
        return "new_rows n"

    checks = "".join(f"""
        IF EXISTS (SELECT FROM {rows(column)} LEFT JOIN LATERAL (SELECT 1 AS found FROM {parent} p
                WHERE p.id = n.{column} LIMIT 1) parent ON true WHERE parent.found IS NULL) THEN
            RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
                MESSAGE = '{table}.{column}: no such row in {parent}';
        END IF;""" for column, parent in keys.items())
    func = checks + "\n        RETURN NULL;"
    return [
        pgtrigger.Trigger(name="keys_exist_insert", level=pgtrigger.Statement, when=pgtrigger.After,
                          operation=pgtrigger.Insert, referencing=pgtrigger.Referencing(new="new_rows"), func=func),
        pgtrigger.Trigger(name="keys_exist_update", level=pgtrigger.Statement, when=pgtrigger.After,
                          operation=pgtrigger.Update, referencing=pgtrigger.Referencing(old="old_rows", new="new_rows"),
                          func=func),
    ]


class JobStatus(models.TextChoices):
    PENDING = "pending", _("等待中")
    RUNNING = "running", _("运行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
