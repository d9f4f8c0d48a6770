"""The night's writer of a write plan (claims.settlement.plan), inside the chunk's transaction: settlements and
settlement lines by binary COPY straight into their tables (ids drawn from the sequence first), the rest by
binary COPY into staging tables, then one INSERT ... SELECT (or UPDATE ... FROM) per table.

The request path writes the same plan with the ORM (claims.settlement.writers). Neither decides anything:
the rows are the plan's. Money travels as integer fen and becomes numeric either in COPY's binary format
(core.pgcopy.Numeric, exact: the same stored value as the SQL cast) or in SQL; a settlement's time is turned
from local into absolute time by PostgreSQL in both cases.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from django.conf import settings
from django.utils import timezone

from claims.settlement.plan import SETTLEMENT_FEN, SPLIT_FEN, Plan
from claims.settlement.writers import movement_reason
from core.ledger import allow_money_writes
from core.pgcopy import Numeric, Timestamp, copy_in_binary, decode_sql, now_micros, stage_binary, text_codes

_EPOCH_US = "(timestamp '1970-01-01' + {col} * interval '1 microsecond') AT TIME ZONE %(tz)s"
_PROP = "CASE WHEN s.prop_e6 < 0 THEN NULL ELSE s.prop_e6::numeric / 1000000 END"


def _micros(values) -> np.ndarray:
    """Naive local datetimes → microseconds since 1970-01-01 (local wall time), exact."""
    return (pd.DatetimeIndex(values).asi8 // 1000).astype(np.int64)


def write_plan(cursor, plan: Plan, *, reason: str, job_id: int | None) -> dict[str, int]:
    """Persist a plan; returns {mdtrt_id: settlement id} of the new settlements."""
    allow_money_writes(cursor)  # the services' write path for the rest of the chunk's transaction
    settlement_of: dict[str, int] = {}
    if not plan.settlements.empty:
        ids, setl_us = _settlement_keys(cursor, _micros(plan.settlements["setl_time"]))
        settlement_of = dict(zip(plan.settlements["mdtrt_id"].tolist(), ids.tolist(), strict=True))
        _write_settlements(cursor, plan, ids, setl_us, reason, job_id)
        _write_lines(cursor, plan.lines, ids)
        _write_accumulations(cursor, plan, ids)
        _write_accounts(cursor, plan, ids)
        cursor.execute("UPDATE claims_visit SET status = 'settled' WHERE id = ANY(%s)", [plan.visit_ids.tolist()])
    write_fee_lines(cursor, plan.fee_lines)
    return settlement_of


def _settlement_keys(cursor, local_us: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """New settlements' ids (drawn from the table's sequence, in the plan's order) and their settlement times
    as microseconds since 1970 UTC, from naive local microseconds: PostgreSQL turns local into absolute time
    (AT TIME ZONE), as the ORM's writes and the reader's AT TIME ZONE do, ambiguous hours included."""
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence('claims_settlement', 'id')), "
        f"(extract(epoch FROM {_EPOCH_US.format(col='t.us')}) * 1000000)::bigint "
        "FROM unnest(%(us)s::bigint[]) WITH ORDINALITY AS t(us, i) ORDER BY t.i",
        {"us": local_us.tolist(), "tz": settings.TIME_ZONE})
    rows = cursor.fetchall()
    return np.array([r[0] for r in rows], dtype=np.int64), np.array([r[1] for r in rows], dtype=np.int64)


def _write_settlements(cursor, plan: Plan, ids: np.ndarray, setl_us: np.ndarray, reason: str,
                       job_id: int | None) -> None:
    """The settlements, COPYed straight into claims_settlement with the ids drawn for them (their history events
    are written by the table's statement trigger, as for an INSERT)."""
    s = plan.settlements
    n = len(s)
    copy_in_binary(cursor, "claims_settlement", {
        "id": ids, "setl_id": s["setl_id"].to_numpy(dtype=object), "kind": np.full(n, "settlement", dtype=object),
        **{c: s[c].to_numpy(np.int64) for c in ("visit_id", "person_id", "institution_id", "policy_version_id")},
        "setl_time": Timestamp(setl_us), "med_type": s["med_type"].to_numpy(dtype=object),
        **{c: Numeric(s[c].to_numpy(np.int64), 2) for c in SETTLEMENT_FEN},
        "ineligible_reason": s["ineligible_reason"].to_numpy(dtype=object),
        "status": np.full(n, "settled", dtype=object), "reason": np.full(n, reason, dtype=object),
        **({"daily_job_id": np.full(n, job_id, dtype=np.int64)} if job_id is not None else {}),
        "created_at": Timestamp(np.full(n, now_micros(), dtype=np.int64)),
    })


def _selfpay_prop(prop_e6: np.ndarray) -> Numeric:
    """A ratio ×10^6 (-1: none) as selfpay_prop, numeric(5,4): rounded half up to 4 places, as the column's
    typmod rounds the ratio typed in SQL."""
    return Numeric((np.maximum(prop_e6, 0) + 50) // 100, 4, null=prop_e6 < 0)


def _write_lines(cursor, lines: pd.DataFrame, ids: np.ndarray) -> None:
    """The settlement lines, COPYed straight into claims_settlementline: no staging table and no INSERT ...
    SELECT (the table's statement trigger checks their keys, as for an INSERT)."""
    if lines.empty:
        return
    copy_in_binary(cursor, "claims_settlementline", {
        "settlement_id": ids[lines["settlement_ref"].to_numpy(np.int64)],
        "fee_line_id": lines["fee_line_id"].to_numpy(np.int64),
        "feedetl_sn": lines["feedetl_sn"].to_numpy(dtype=object),
        "det_item_fee_sumamt": Numeric(lines["det_item_fee_sumamt"].to_numpy(np.int64), 2),
        **{c: Numeric(lines[c].to_numpy(np.int64), 2) for c in SPLIT_FEN},
        "chrgitm_lv": lines["chrgitm_lv"].to_numpy(dtype=object),
        "selfpay_prop": _selfpay_prop(lines["selfpay_prop_e6"].to_numpy(np.int64)),
        "reason": lines["reason"].to_numpy(dtype=object),
    })


def write_fee_lines(cursor, fee_lines: pd.DataFrame) -> None:
    """Store a plan's fee-line splits (FEE_LINE_ROW) on their fee lines."""
    if fee_lines.empty:
        return
    allow_money_writes(cursor)  # the services' path (core.ledger): a settled visit's lines are frozen for others
    lv, lv_texts = text_codes(fee_lines["chrgitm_lv"])
    why, why_texts = text_codes(fee_lines["reason"])
    stage_binary(cursor, "stage_fee_line", {
        "fee_line_id": fee_lines["fee_line_id"].to_numpy(np.int64),
        **{c: fee_lines[c].to_numpy(np.int64) for c in SPLIT_FEN},
        "lv": lv, "prop_e6": fee_lines["selfpay_prop_e6"].to_numpy(np.int64), "why": why,
    })
    cursor.execute(
        f"UPDATE claims_feeline f SET {', '.join(f'{c} = s.{c}::numeric / 100' for c in SPLIT_FEN)}, "
        f"chrgitm_lv = {decode_sql('s.lv', 'lvs')}, selfpay_prop = {_PROP}, reason = {decode_sql('s.why', 'whys')} "
        f"FROM stage_fee_line s WHERE f.id = s.fee_line_id", {"lvs": lv_texts, "whys": why_texts})


def _write_accumulations(cursor, plan: Plan, ids: np.ndarray) -> None:
    acc = plan.accumulations
    if acc.empty:
        return
    kinds, kind_texts = text_codes(acc["kind"])
    keys, key_texts = text_codes(acc["key"])
    stage_binary(cursor, "stage_acc", {
        "settlement_id": ids[acc["settlement_ref"].to_numpy(np.int64)], "kind": kinds, "key": keys,
        "year": acc["year"].to_numpy(np.int64), "delta": acc["delta"].to_numpy(np.int64),
        "person_id": acc["person_id"].to_numpy(np.int64),
    })
    texts = {"kinds": kind_texts, "keys": key_texts}
    kind, key = decode_sql("kind", "kinds"), decode_sql("key", "keys")
    scaled = f"CASE WHEN {kind} = 'admissions' THEN delta::numeric ELSE delta::numeric / 100 END"
    cursor.execute(f"INSERT INTO claims_settlementaccumulation (settlement_id, kind, key, year, delta) "
                   f"SELECT settlement_id, {kind}, {key}, year, {scaled} FROM stage_acc", texts)
    # the chunk holds its persons' locks: adding to the stored amounts is what the request path's writer does
    cursor.execute(f"""
        INSERT INTO claims_accumulator (person_id, year, kind, key, amount)
        SELECT person_id, year, {kind}, {key}, sum({scaled}) FROM stage_acc GROUP BY person_id, year, kind, key
        ON CONFLICT (person_id, year, kind, key) DO UPDATE SET amount = claims_accumulator.amount + EXCLUDED.amount
    """, texts)


def _write_accounts(cursor, plan: Plan, ids: np.ndarray) -> None:
    moves = plan.movements
    if moves.empty:
        return
    refs = moves["settlement_ref"].to_numpy(np.int64)
    reasons = [movement_reason(m) for m in plan.settlements["mdtrt_id"].to_numpy(dtype=object)[refs]]
    stage_binary(cursor, "stage_move", {
        "person_id": moves["person_id"].to_numpy(np.int64), "amount_fen": moves["amount_fen"].to_numpy(np.int64),
        "balance_fen": moves["balance_after_fen"].to_numpy(np.int64), "settlement_id": ids[refs],
        "seq": np.arange(len(moves), dtype=np.int64), "reason": np.array(reasons, dtype=object),
    })
    stamp = timezone.now()
    cursor.execute(
        "INSERT INTO insurance_accountmovement (account_id, amount, balance_after, kind, settlement_id, created_at, "
        "reason) SELECT a.id, m.amount_fen::numeric / 100, m.balance_fen::numeric / 100, 'settlement', "
        "m.settlement_id, %s, m.reason FROM stage_move m JOIN insurance_personalaccount a ON a.person_id = m.person_id "
        "ORDER BY m.seq", [stamp])
    balances = plan.balances
    stage_binary(cursor, "stage_balance", {"person_id": balances["person_id"].to_numpy(np.int64),
                                           "balance_fen": balances["balance_fen"].to_numpy(np.int64)})
    cursor.execute(
        "UPDATE insurance_personalaccount a SET balance = b.balance_fen::numeric / 100, updated_at = %s "
        "FROM stage_balance b WHERE a.person_id = b.person_id", [stamp])
