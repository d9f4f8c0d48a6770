"""The request path's writer of a write plan (claims.settlement.plan): the ORM, inside the caller's transaction.

The night writes the same plan with COPY (claims.batch.writer). Neither decides anything: what is written
is the plan's; here it only becomes model rows. The caller holds the persons' locks (settle_visits).
"""
from __future__ import annotations

from decimal import Decimal

import numpy as np
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.models import (
    Accumulator,
    FeeLine,
    Settlement,
    SettlementAccumulation,
    SettlementKind,
    SettlementLine,
    Visit,
    VisitStatus,
)
from claims.settlement.plan import FEE_LINE_ROW, SETTLEMENT_FEN, SPLIT_FEN, Plan
from core.inserts import insert_new, update_by_pk, update_by_pk_sql
from core.ledger import money_writes
from core.pgcopy import insert_rows
from insurance.models import AccountMovement, MovementKind, PersonalAccount
from policy_rules.engine.money import fen_to_decimal


def ratio_to_decimal(e6) -> Decimal | None:
    """A ratio scaled by 10^6 → Decimal; a negative one (none) → None."""
    return None if e6 < 0 else Decimal(int(e6)).scaleb(-6).normalize()


def accumulator_value(kind: str, raw: int) -> Decimal:
    """An accumulator amount as the engine counts it → as stored (money in yuan; admissions as a count)."""
    return Decimal(int(raw)) if kind == "admissions" else fen_to_decimal(raw)


def movement_reason(mdtrt_id: str) -> str:
    """The words on an account payment of a settlement (the same on both writers)."""
    return _("结算 %(id)s 个人账户支付") % {"id": mdtrt_id}


def _local_aware(values) -> list:
    """Naive local datetime64 values (a column or its array) → aware datetimes (to the microsecond, as
    DatetimeIndex.to_pydatetime)."""
    return [timezone.make_aware(t) for t in np.asarray(values, dtype="datetime64[us]").tolist()]


def write_plan(plan: Plan, *, user=None, reason: str = "", daily_job=None) -> dict[str, Settlement]:
    """Persist a plan with the ORM; returns {mdtrt_id: Settlement} of the new settlements. The plan's parts are
    read as they were handed over (plan.part: a frame, or at the counter its Columns), column by column."""
    user = user if getattr(user, "is_authenticated", False) else None
    s = plan.part("settlements")
    if s.empty:
        write_fee_lines(plan.part("fee_lines"))
        return {}
    times = _local_aware(s["setl_time"])
    # column by column (itertuples builds a namedtuple class on every call: most of the cost for one settlement)
    columns = {c: s[c].tolist() for c in ("setl_id", "visit_id", "person_id", "institution_id", "policy_version_id",
                                          "med_type", "ineligible_reason", *SETTLEMENT_FEN)}
    settlements = [
        Settlement(setl_id=columns["setl_id"][i], kind=SettlementKind.SETTLEMENT, visit_id=columns["visit_id"][i],
                   person_id=columns["person_id"][i], institution_id=columns["institution_id"][i],
                   policy_version_id=columns["policy_version_id"][i], setl_time=when,
                   med_type=columns["med_type"][i], ineligible_reason=columns["ineligible_reason"][i],
                   created_by=user, reason=reason, daily_job=daily_job,
                   **{c: fen_to_decimal(columns[c][i]) for c in SETTLEMENT_FEN})
        for i, when in enumerate(times)
    ]
    visit_ids = plan.visit_ids.tolist()
    if connection.vendor == "postgresql":
        # the visits' status in the settlements' statement (a WITH query): one statement for both
        insert_new(Settlement, settlements, along=update_by_pk_sql(Visit, visit_ids, status=VisitStatus.SETTLED))
    else:
        insert_new(Settlement, settlements)  # ids set on every database the project supports
    ids = [st.pk for st in settlements]
    _write_lines(plan.part("lines"), ids)
    write_fee_lines(plan.part("fee_lines"))
    if connection.vendor == "postgresql":
        _write_money(plan, ids, user)
    else:
        _write_accumulators(plan, ids)
        _write_accounts(plan, ids, user)
        update_by_pk(Visit, visit_ids, status=VisitStatus.SETTLED)
    return {st_row: st for st_row, st in zip(s["mdtrt_id"].tolist(), settlements, strict=True)}


def _write_lines(lines, ids: list[int]) -> None:
    cols = [lines[c].tolist() for c in ("settlement_ref", "fee_line_id", "feedetl_sn", "det_item_fee_sumamt",
                                        *SPLIT_FEN, "chrgitm_lv", "selfpay_prop_e6", "reason")]
    yuan: dict[int, Decimal] = {}  # the same few amounts and ratios recur on many lines: each converted once
    ratios: dict[int, Decimal | None] = {}

    def money(fen: int) -> Decimal:
        value = yuan.get(fen)
        if value is None:
            value = yuan[fen] = fen_to_decimal(fen)
        return value

    def ratio(e6: int) -> Decimal | None:
        try:
            return ratios[e6]
        except KeyError:
            value = ratios[e6] = ratio_to_decimal(e6)
            return value

    insert_rows(SettlementLine, [
        {"settlement_id": ids[ref], "fee_line_id": fl, "feedetl_sn": sn, "det_item_fee_sumamt": money(amount),
         "fulamt_ownpay_amt": money(a), "overlmt_selfpay": money(b), "preselfpay_amt": money(c),
         "inscp_scp_amt": money(d), "chrgitm_lv": lv, "selfpay_prop": ratio(prop), "reason": why}
        for ref, fl, sn, amount, a, b, c, d, lv, prop, why in zip(*cols, strict=True)
    ])


def write_fee_lines(fee_lines) -> None:
    """Store a plan's fee-line splits (FEE_LINE_ROW, a frame or its Columns) on their fee lines."""
    if fee_lines.empty:
        return
    columns = {c: fee_lines[c].tolist() for c in FEE_LINE_ROW}
    rows = [FeeLine(pk=pk, chrgitm_lv=columns["chrgitm_lv"][i], selfpay_prop=ratio_to_decimal(columns["selfpay_prop_e6"][i]),
                    reason=columns["reason"][i], **{c: fen_to_decimal(columns[c][i]) for c in SPLIT_FEN})
            for i, pk in enumerate(columns["fee_line_id"])]
    with money_writes():  # the services' path (core.ledger): a settled visit's lines are frozen for others
        FeeLine.objects.bulk_update(rows, [*SPLIT_FEN, "chrgitm_lv", "selfpay_prop", "reason"], batch_size=2000)


def _accumulator_totals(acc) -> list[tuple]:
    """Plan.accumulator_totals as (person_id, year, kind, key, delta) tuples, summed with a dict (one
    settlement has a handful of accumulations; a group-by costs more than the sums)."""
    totals: dict[tuple, int] = {}
    for person, year, kind, key, delta in zip(*(acc[c].tolist() for c in ("person_id", "year", "kind", "key",
                                                                          "delta")), strict=True):
        k = (int(person), int(year), kind, key)
        totals[k] = totals.get(k, 0) + int(delta)
    return [(*k, v) for k, v in sorted(totals.items())]


def _rows_sql(n: int, casts: tuple[str, ...]) -> str:
    one = "(" + ", ".join(f"%s::{c}" for c in casts) + ")"
    return ", ".join([one] * n)


def _accumulator_sql(plan: Plan, ids: list[int]) -> tuple[str, str, list] | None:
    """PostgreSQL's statement of the settlements' accumulations and the upsert of the accumulators they add to, as
    (its WITH list, its INSERT, the parameters); None without accumulations. The caller holds the persons' locks:
    adding to the stored amounts is what the ORM path (_write_accumulators) does."""
    acc = plan.part("accumulations")
    if acc.empty:
        return None
    rows = _accumulation_rows(acc, ids)
    totals = _accumulator_totals(acc)
    return (f"given AS (INSERT INTO {SettlementAccumulation._meta.db_table} "
            f"(settlement_id, kind, key, year, delta) VALUES "
            f"{_rows_sql(len(rows), ('bigint', 'text', 'text', 'integer', 'numeric'))} RETURNING 1)",
            f"INSERT INTO {Accumulator._meta.db_table} AS a (person_id, year, kind, key, amount) VALUES "
            f"{_rows_sql(len(totals), ('bigint', 'integer', 'text', 'text', 'numeric'))} "
            "ON CONFLICT (person_id, year, kind, key) DO UPDATE SET amount = a.amount + EXCLUDED.amount",
            [v for row in rows for v in row]
            + [v for p, y, k, key, d in totals for v in (p, y, k, key, accumulator_value(k, d))])


def _accumulation_rows(acc, ids: list[int]) -> list[tuple]:
    return [(ids[ref], kind, key, year, accumulator_value(kind, delta)) for ref, kind, key, year, delta in zip(
        *(acc[c].tolist() for c in ("settlement_ref", "kind", "key", "year", "delta")), strict=True)]


def _write_accumulators(plan: Plan, ids: list[int]) -> None:
    """The ORM's way (SQLite: the demo, run_cases) of _accumulator_sql's statement."""
    acc = plan.part("accumulations")
    if acc.empty:
        return
    rows = _accumulation_rows(acc, ids)
    totals = _accumulator_totals(acc)
    SettlementAccumulation.objects.bulk_create([
        SettlementAccumulation(settlement_id=sid, kind=kind, key=key, year=year, delta=delta)
        for sid, kind, key, year, delta in rows
    ])
    existing = {(a.person_id, a.year, a.kind, a.key): a for a in Accumulator.objects.filter(
        person_id__in={t[0] for t in totals}, year__in={t[1] for t in totals})}
    update, create = [], []
    for person, year, kind, key, raw in totals:
        delta = accumulator_value(kind, raw)
        if (person, year, kind, key) in existing:
            existing[(person, year, kind, key)].amount += delta
            update.append(existing[(person, year, kind, key)])
        else:
            create.append(Accumulator(person_id=person, year=year, kind=kind, key=key, amount=delta))
    Accumulator.objects.bulk_update(update, ["amount"])
    Accumulator.objects.bulk_create(create)


def _movement_columns(plan: Plan) -> tuple:
    """The settlements' mdtrt_ids, the payments' settlement_ref, person_id, amount_fen and balance_after_fen, and
    {person: the balance after their last payment}."""
    moves = plan.part("movements")
    refs, persons = moves["settlement_ref"].tolist(), moves["person_id"].tolist()
    after = moves["balance_after_fen"].tolist()
    balances = {int(p): b for p, b in zip(persons, after, strict=True)}  # each person's last payment's balance
    return plan.part("settlements")["mdtrt_id"].tolist(), refs, persons, moves["amount_fen"].tolist(), after, balances


def _account_sql(plan: Plan, ids: list[int], user) -> tuple[str, str, list] | None:
    """PostgreSQL's statement of the account payments: the balances set and the payments appended to the ledger,
    in the plan's order, as (its WITH list, its INSERT, the parameters); None without payments."""
    if plan.part("movements").empty:
        return None
    mdtrt_ids, refs, persons, amounts, after, balances = _movement_columns(plan)
    stamp = timezone.now()
    table = PersonalAccount._meta.db_table
    return (f"balance (person_id, balance) AS (VALUES {_rows_sql(len(balances), ('bigint', 'numeric'))}), "
            f"account AS (UPDATE {table} a SET balance = b.balance, updated_at = %s FROM balance b "
            "WHERE a.person_id = b.person_id RETURNING a.id, a.person_id), "
            "move (seq, person_id, amount, balance_after, settlement_id, reason) AS (VALUES "
            f"{_rows_sql(len(refs), ('integer', 'bigint', 'numeric', 'numeric', 'bigint', 'text'))})",
            f"INSERT INTO {AccountMovement._meta.db_table} (account_id, amount, balance_after, kind, "
            "settlement_id, created_at, created_by_id, reason) "
            "SELECT account.id, m.amount, m.balance_after, %s, m.settlement_id, %s, %s, m.reason "
            "FROM move m JOIN account ON account.person_id = m.person_id ORDER BY m.seq",
            [v for p, b in balances.items() for v in (p, fen_to_decimal(b))] + [stamp]
            + [v for i, (ref, p, amount, b) in enumerate(zip(refs, persons, amounts, after, strict=True))
               for v in (i, p, fen_to_decimal(amount), fen_to_decimal(b), ids[ref], movement_reason(mdtrt_ids[ref]))]
            + [MovementKind.SETTLEMENT.value, stamp, user.pk if user is not None else None])


def _write_money(plan: Plan, ids: list[int], user) -> None:
    """On PostgreSQL, the accumulations, the accumulators, the balances and the account payments in one statement:
    _accumulator_sql's and _account_sql's, the first's INSERT a WITH query of the second's."""
    parts = [p for p in (_accumulator_sql(plan, ids), _account_sql(plan, ids, user)) if p is not None]
    if not parts:
        return
    if len(parts) == 1:
        (with_list, insert, params), = parts
    else:
        (acc_with, acc_insert, acc_params), (with_list, insert, params) = parts
        with_list, params = f"{acc_with}, totals AS ({acc_insert} RETURNING 1), {with_list}", acc_params + params
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {with_list} {insert}", params)


def _write_accounts(plan: Plan, ids: list[int], user) -> None:
    """The ORM's way (SQLite: the demo, run_cases) of _account_sql's statement."""
    if plan.part("movements").empty:
        return
    mdtrt_ids, refs, persons, amounts, after, balances = _movement_columns(plan)
    accounts = {a.person_id: a for a in PersonalAccount.objects.filter(person_id__in=set(balances))}
    AccountMovement.objects.bulk_create([
        AccountMovement(account=accounts[int(p)], amount=fen_to_decimal(amount),
                        balance_after=fen_to_decimal(b), kind=MovementKind.SETTLEMENT,
                        settlement_id=ids[ref], created_by=user, reason=movement_reason(mdtrt_ids[ref]))
        for ref, p, amount, b in zip(refs, persons, amounts, after, strict=True)
    ])
    for person, b in balances.items():
        accounts[person].balance = fen_to_decimal(b)
    PersonalAccount.objects.bulk_update(accounts.values(), ["balance", "updated_at"])
