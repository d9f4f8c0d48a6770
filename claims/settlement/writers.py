"""The request path's writer of a write plan (claims.settlement.plan): the ORM, inside the caller's transaction.

The night writes the same plan with COPY (claims.batch.writer). Neither decides anything: what is written
is the plan's; here it only becomes model rows. The caller holds the persons' locks (settle_visits).
"""
from __future__ import annotations

from decimal import Decimal

import pandas as pd
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
from claims.settlement.plan import SETTLEMENT_FEN, SPLIT_FEN, Plan
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
    return [timezone.make_aware(t) for t in pd.DatetimeIndex(values).to_pydatetime()]


def write_plan(plan: Plan, *, user=None, reason: str = "", daily_job=None) -> dict[str, Settlement]:
    """Persist a plan with the ORM; returns {mdtrt_id: Settlement} of the new settlements."""
    user = user if getattr(user, "is_authenticated", False) else None
    s = plan.settlements
    if s.empty:
        write_fee_lines(plan.fee_lines)
        return {}
    times = _local_aware(s["setl_time"])
    settlements = [
        Settlement(setl_id=row.setl_id, kind=SettlementKind.SETTLEMENT, visit_id=row.visit_id, person_id=row.person_id,
                   institution_id=row.institution_id, policy_version_id=row.policy_version_id, setl_time=when,
                   med_type=row.med_type, ineligible_reason=row.ineligible_reason, created_by=user, reason=reason,
                   daily_job=daily_job, **{c: fen_to_decimal(getattr(row, c)) for c in SETTLEMENT_FEN})
        for row, when in zip(s.itertuples(index=False), times, strict=True)
    ]
    Settlement.objects.bulk_create(settlements)  # ids set on every database the project supports
    ids = [st.pk for st in settlements]
    _write_lines(plan.lines, ids)
    write_fee_lines(plan.fee_lines)
    _write_accumulators(plan, ids)
    _write_accounts(plan, ids, user)
    Visit.objects.filter(pk__in=plan.visit_ids.tolist()).update(status=VisitStatus.SETTLED)
    return {st_row: st for st_row, st in zip(s["mdtrt_id"].tolist(), settlements, strict=True)}


def _write_lines(lines: pd.DataFrame, ids: list[int]) -> None:
    cols = [lines[c].tolist() for c in ("settlement_ref", "fee_line_id", "feedetl_sn", "det_item_fee_sumamt",
                                        *SPLIT_FEN, "chrgitm_lv", "selfpay_prop_e6", "reason")]
    yuan: dict[int, Decimal] = {}  # the same few amounts recur on many lines: each converted once

    def money(fen: int) -> Decimal:
        value = yuan.get(fen)
        if value is None:
            value = yuan[fen] = fen_to_decimal(fen)
        return value

    insert_rows(SettlementLine, [
        {"settlement_id": ids[ref], "fee_line_id": fl, "feedetl_sn": sn, "det_item_fee_sumamt": money(amount),
         "fulamt_ownpay_amt": money(a), "overlmt_selfpay": money(b), "preselfpay_amt": money(c),
         "inscp_scp_amt": money(d), "chrgitm_lv": lv, "selfpay_prop": ratio_to_decimal(prop), "reason": why}
        for ref, fl, sn, amount, a, b, c, d, lv, prop, why in zip(*cols, strict=True)
    ])


def write_fee_lines(fee_lines: pd.DataFrame) -> None:
    """Store a plan's fee-line splits (FEE_LINE_ROW) on their fee lines."""
    if fee_lines.empty:
        return
    rows = []
    for r in fee_lines.itertuples(index=False):
        line = FeeLine(pk=r.fee_line_id, chrgitm_lv=r.chrgitm_lv, selfpay_prop=ratio_to_decimal(r.selfpay_prop_e6),
                       reason=r.reason, **{c: fen_to_decimal(getattr(r, c)) for c in SPLIT_FEN})
        rows.append(line)
    with money_writes():  # the services' path (core.ledger): a settled visit's lines are frozen for others
        FeeLine.objects.bulk_update(rows, [*SPLIT_FEN, "chrgitm_lv", "selfpay_prop", "reason"], batch_size=2000)


def _write_accumulators(plan: Plan, ids: list[int]) -> None:
    acc = plan.accumulations
    if acc.empty:
        return
    SettlementAccumulation.objects.bulk_create([
        SettlementAccumulation(settlement_id=ids[r.settlement_ref], kind=r.kind, key=r.key, year=r.year,
                               delta=accumulator_value(r.kind, r.delta))
        for r in acc.itertuples(index=False)
    ])
    totals = plan.accumulator_totals()
    # the caller holds the persons' locks: adding to the amounts read here is what the night's upsert does
    existing = {(a.person_id, a.year, a.kind, a.key): a for a in Accumulator.objects.filter(
        person_id__in=set(totals["person_id"].tolist()), year__in=set(totals["year"].tolist()))}
    update, create = [], []
    for r in totals.itertuples(index=False):
        key = (int(r.person_id), int(r.year), r.kind, r.key)
        delta = accumulator_value(r.kind, r.delta)
        if key in existing:
            existing[key].amount += delta
            update.append(existing[key])
        else:
            create.append(Accumulator(person_id=key[0], year=key[1], kind=key[2], key=key[3], amount=delta))
    Accumulator.objects.bulk_update(update, ["amount"])
    Accumulator.objects.bulk_create(create)


def _write_accounts(plan: Plan, ids: list[int], user) -> None:
    moves = plan.movements
    if moves.empty:
        return
    mdtrt_ids = plan.settlements["mdtrt_id"].tolist()
    accounts = {a.person_id: a for a in PersonalAccount.objects.filter(person_id__in=set(moves["person_id"].tolist()))}
    AccountMovement.objects.bulk_create([
        AccountMovement(account=accounts[int(m.person_id)], amount=fen_to_decimal(m.amount_fen),
                        balance_after=fen_to_decimal(m.balance_after_fen), kind=MovementKind.SETTLEMENT,
                        settlement_id=ids[m.settlement_ref], created_by=user,
                        reason=movement_reason(mdtrt_ids[m.settlement_ref]))
        for m in moves.itertuples(index=False)
    ])
    for b in plan.balances.itertuples(index=False):
        accounts[int(b.person_id)].balance = fen_to_decimal(b.balance_fen)
    PersonalAccount.objects.bulk_update(accounts.values(), ["balance", "updated_at"])
