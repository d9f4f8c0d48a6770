"""The daily batch's set-based path on PostgreSQL: COPY out, one engine call, COPY into staging, SQL.

The ORM path (claims.settlement.settle_visits) and this path call the same engine with the same
frames and store the same rows; this one moves them with COPY and INSERT ... SELECT instead of one
statement per row. It is used for a chunk of the daily job on PostgreSQL; SQLite uses the ORM path.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import uuid

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from policy_rules.engine import adjudicate, classify

from .engine_io import active_policies

SETTLEMENT_FEN = (
    "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", "act_pay_dedc",
    "hifp_pay", "hifob_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay",
    "balc",
)
SPLIT_FEN = ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")


def copy_out(cursor, sql: str, params=(), dtype=None, parse_dates=None) -> pd.DataFrame:
    """Run a SELECT through COPY ... TO STDOUT and read it as a frame."""
    query = cursor.mogrify(sql, params).decode() if params else sql
    buf = io.StringIO()
    cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER true)", buf)
    buf.seek(0)
    return pd.read_csv(buf, dtype=dtype, parse_dates=parse_dates, keep_default_na=False, na_values=[""])


def copy_in(cursor, table: str, frame: pd.DataFrame) -> None:
    """COPY a frame into a table (its columns named as the frame's)."""
    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=False, na_rep="\\N")  # "" stays an empty string
    buf.seek(0)
    cols = ", ".join(f'"{c}"' for c in frame.columns)
    cursor.copy_expert(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buf)


def _stage(cursor, name: str, ddl: str, frame: pd.DataFrame) -> None:
    # dropped first as well as on commit: inside an outer transaction (tests) the commit is a savepoint
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    cursor.execute(f"CREATE TEMP TABLE {name} ({ddl}) ON COMMIT DROP")
    if len(frame):
        copy_in(cursor, name, frame)


def _local(column: str) -> str:
    return f"({column} AT TIME ZONE %(tz)s)"


CHUNK_VISITS_SQL = """
DROP TABLE IF EXISTS chunk_visit;
CREATE TEMP TABLE chunk_visit ON COMMIT DROP AS
SELECT v.id, v.person_id, v.institution_id, v.endtime
FROM claims_visit v
WHERE v.status = 'discharged' AND v.endtime < %(end)s AND v.person_id %% %(chunks)s = %(chunk)s
  AND EXISTS (SELECT 1 FROM claims_feeline fl WHERE fl.visit_id = v.id AND fl.status = 'active')
"""

VISITS_SQL = f"""
SELECT v.id AS visit_id, v.mdtrt_id, p.psn_no, v.med_type, {_local('v.begntime')} AS begntime,
       {_local('v.endtime')} AS setl_time, i.level AS inst_level, i.designated AS inst_designated, i.region,
       e.insutype, e.psn_type, e.enrolled_from, e.enrolled_to, e.paid_through, e.assistance_category,
       v.person_id, v.institution_id, v.endtime AS setl_time_utc
FROM chunk_visit c
JOIN claims_visit v ON v.id = c.id
JOIN insurance_person p ON p.id = v.person_id
JOIN insurance_institution i ON i.id = v.institution_id
LEFT JOIN LATERAL (
    SELECT * FROM insurance_enrollment e0
    WHERE (v.enrollment_id IS NOT NULL AND e0.id = v.enrollment_id)
       OR (v.enrollment_id IS NULL AND e0.person_id = v.person_id
           AND e0.enrolled_from <= ({_local('v.begntime')})::date
           AND (e0.enrolled_to IS NULL OR e0.enrolled_to >= ({_local('v.begntime')})::date))
    ORDER BY e0.enrolled_from DESC, e0.id DESC LIMIT 1
) e ON true
"""

LINES_SQL = """
SELECT fl.id AS fee_line_id, v.mdtrt_id, fl.feedetl_sn, fl.med_list_codg,
       round(fl.cnt * 10000)::bigint AS cnt_e4, round(fl.pric * 10000)::bigint AS pric_e4,
       round(fl.det_item_fee_sumamt * 100)::bigint AS amount_fen
FROM chunk_visit c JOIN claims_visit v ON v.id = c.id
JOIN claims_feeline fl ON fl.visit_id = v.id AND fl.status = 'active'
"""

PERSONS_SQL = """
SELECT p.psn_no, p.gender, p.birth_date, coalesce(round(a.balance * 100)::bigint, 0) AS acct_balance_fen,
       p.id AS person_id, a.id AS account_id
FROM insurance_person p LEFT JOIN insurance_personalaccount a ON a.person_id = p.id
WHERE p.id IN (SELECT DISTINCT person_id FROM chunk_visit)
"""

CATALOG_SQL = """
SELECT med_list_codg, chrg_lv, coalesce(round(selfpay_prop * 1000000)::bigint, -1) AS selfpay_prop_e6,
       coalesce(round(price_limit * 10000)::bigint, -1) AS price_limit_e4, restrict_gender,
       coalesce(restrict_min_age, -1) AS restrict_min_age, coalesce(restrict_max_age, -1) AS restrict_max_age,
       coalesce(restrict_min_level, -1) AS restrict_min_level, restrict_med_types::text AS restrict_med_types,
       effective_from, effective_to
FROM policy_rules_catalogitem
WHERE med_list_codg IN (SELECT DISTINCT fl.med_list_codg FROM chunk_visit c
                        JOIN claims_feeline fl ON fl.visit_id = c.id AND fl.status = 'active')
"""

STATE_SQL = """
SELECT p.psn_no, a.year, a.kind, a.key,
       CASE WHEN a.kind = 'admissions' THEN round(a.amount)::bigint ELSE round(a.amount * 100)::bigint END AS amount
FROM claims_accumulator a JOIN insurance_person p ON p.id = a.person_id
WHERE a.person_id IN (SELECT DISTINCT person_id FROM chunk_visit) AND a.year = ANY(%(years)s)
"""


def _catalog_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """The catalog as read by CATALOG_SQL (already scaled to integers) → the engine's catalog frame."""
    out = raw.copy()
    out["chrg_lv"] = out["chrg_lv"].astype(str).str.zfill(2)
    out["restrict_gender"] = out["restrict_gender"].fillna("").astype(str)
    out["restrict_med_types"] = [tuple(json.loads(m)) if isinstance(m, str) else () for m in out["restrict_med_types"]]
    for c in ("effective_from", "effective_to"):
        out[c] = pd.to_datetime(out[c])
    return out


def load_chunk(cursor, end: dt.datetime, chunks: int, chunk_no: int) -> dict | None:
    """Lock and read one chunk's discharged visits and everything the engine needs for them."""
    tz = settings.TIME_ZONE
    cursor.execute(CHUNK_VISITS_SQL, {"end": end, "chunks": chunks, "chunk": chunk_no})
    cursor.execute("SELECT id FROM insurance_person WHERE id IN (SELECT DISTINCT person_id FROM chunk_visit) "
                   "ORDER BY id FOR UPDATE")
    cursor.execute("SELECT id FROM claims_visit WHERE id IN (SELECT id FROM chunk_visit) ORDER BY id FOR UPDATE")
    cursor.execute("DELETE FROM chunk_visit c USING claims_visit v WHERE v.id = c.id AND v.status <> 'discharged'")
    cursor.execute("ANALYZE chunk_visit")
    visits = copy_out(cursor, VISITS_SQL, {"tz": tz}, dtype={"med_type": str, "insutype": str, "paid_through": str,
                                                             "assistance_category": str, "psn_no": str},
                      parse_dates=["begntime", "setl_time", "enrolled_from", "enrolled_to"])
    if visits.empty:
        return None
    lines = copy_out(cursor, LINES_SQL, dtype={"feedetl_sn": str, "med_list_codg": str, "mdtrt_id": str})
    persons = copy_out(cursor, PERSONS_SQL, dtype={"psn_no": str, "gender": str}, parse_dates=["birth_date"])
    catalog = _catalog_frame(copy_out(cursor, CATALOG_SQL, dtype={"med_list_codg": str, "chrg_lv": str,
                                                                   "restrict_gender": str}))
    years = sorted({int(y) for y in visits["setl_time"].dt.year.unique()})
    state = copy_out(cursor, STATE_SQL, {"years": years}, dtype={"psn_no": str, "kind": str, "key": str})
    state["key"] = state["key"].fillna("")
    visits["assistance_category"] = visits["assistance_category"].fillna("")
    visits["inst_designated"] = visits["inst_designated"].astype(str).str.lower().isin(["t", "true"])
    return {"visits": visits, "lines": lines, "persons": persons, "catalog": catalog, "state": state}


def settle_chunk(job, chunk_no: int, reason: str) -> tuple[int, int]:
    """Settle one chunk of a daily job with COPY and set-based SQL; returns (settled, held)."""
    _, end = _day_bounds(job.run_date)
    with transaction.atomic(), connection.cursor() as cursor:
        data = load_chunk(cursor, end, job.chunks_total, chunk_no)
        cursor.execute("SELECT count(*) FROM claims_visit v WHERE v.status = 'discharged' AND v.endtime < %s "
                       "AND v.person_id %% %s = %s", [end, job.chunks_total, chunk_no])
        candidates = cursor.fetchone()[0]
        if data is None:
            return 0, candidates
        versions, packs = active_policies(set(data["visits"]["region"]))
        version_ids = {p.code: v.pk for p, v in zip(packs, versions, strict=True)}
        engine_visits = data["visits"].drop(columns=["region"])
        result = adjudicate(data["lines"], engine_visits, data["persons"], data["catalog"], packs, data["state"])
        setl = result.settlements[result.settlements["policy_code"].notna()]
        _store(cursor, job, reason, data, result, setl, version_ids)
        return len(setl), candidates - len(setl)


def _store(cursor, job, reason, data, result, setl, version_ids) -> None:
    visits = data["visits"].set_index("mdtrt_id")
    n = len(setl)
    cursor.execute("SELECT nextval(pg_get_serial_sequence('claims_settlement', 'id')) FROM generate_series(1, %s)",
                   [n])
    ids = np.array([r[0] for r in cursor.fetchall()], dtype=np.int64)
    v = visits.loc[setl["mdtrt_id"]]
    stamp = timezone.now()
    day = job.run_date.strftime("%Y%m%d")
    staged = pd.DataFrame({
        "id": ids, "setl_id": [f"S{day}{uuid.uuid4().hex[:16].upper()}" for _ in range(n)],
        "visit_id": v["visit_id"].to_numpy(), "person_id": v["person_id"].to_numpy(),
        "institution_id": v["institution_id"].to_numpy(),
        "policy_version_id": setl["policy_code"].map(version_ids).to_numpy(),
        "setl_time": v["setl_time_utc"].to_numpy(),
        **{c: setl[c].to_numpy() for c in SETTLEMENT_FEN},
        "ineligible_reason": setl["ineligible_reason"].fillna("").to_numpy(),
    })
    fen_cols = ", ".join(f"{c} bigint" for c in SETTLEMENT_FEN)
    _stage(cursor, "stage_setl", f"id bigint, setl_id text, visit_id bigint, person_id bigint, institution_id bigint, "
                                 f"policy_version_id bigint, setl_time timestamptz, {fen_cols}, ineligible_reason text",
           staged)
    money = ", ".join(f"{c}::numeric / 100" for c in SETTLEMENT_FEN)
    cursor.execute(
        f"INSERT INTO claims_settlement (id, setl_id, kind, visit_id, person_id, institution_id, policy_version_id, "
        f"setl_time, {', '.join(SETTLEMENT_FEN)}, ineligible_reason, status, reason, daily_job_id, created_at) "
        f"SELECT id, setl_id, 'settlement', visit_id, person_id, institution_id, policy_version_id, setl_time, "
        f"{money}, ineligible_reason, 'settled', %s, %s, %s FROM stage_setl", [reason, job.pk, stamp])
    settlement_of = dict(zip(setl["mdtrt_id"], ids, strict=True))

    split = result.lines.merge(data["lines"][["mdtrt_id", "feedetl_sn", "fee_line_id"]], on=["mdtrt_id", "feedetl_sn"])
    split = split[split["mdtrt_id"].isin(settlement_of.keys())]
    lines = pd.DataFrame({
        "settlement_id": split["mdtrt_id"].map(settlement_of).to_numpy(), "fee_line_id": split["fee_line_id"].to_numpy(),
        "feedetl_sn": split["feedetl_sn"].to_numpy(), "amount_fen": split["amount_fen"].to_numpy(),
        **{c: split[c].to_numpy() for c in SPLIT_FEN},
        "chrgitm_lv": split["chrgitm_lv"].fillna("").to_numpy(),
        "selfpay_prop_e6": split["selfpay_prop_e6"].to_numpy(), "reason": split["reason"].fillna("").to_numpy(),
    })
    _stage_and_write_lines(cursor, lines)

    deltas = result.deltas[result.deltas["mdtrt_id"].isin(settlement_of.keys())]
    persons = data["persons"].set_index("psn_no")
    acc = pd.DataFrame({
        "settlement_id": deltas["mdtrt_id"].map(settlement_of).to_numpy(), "kind": deltas["kind"].to_numpy(),
        "key": deltas["key"].to_numpy(), "year": deltas["year"].to_numpy(), "delta": deltas["delta"].to_numpy(),
        "person_id": persons.loc[deltas["psn_no"], "person_id"].to_numpy(),
    })
    _stage(cursor, "stage_acc", "settlement_id bigint, kind text, key text, year int, delta bigint, person_id bigint",
           acc)
    scaled = "CASE WHEN kind = 'admissions' THEN delta::numeric ELSE delta::numeric / 100 END"
    cursor.execute(f"INSERT INTO claims_settlementaccumulation (settlement_id, kind, key, year, delta) "
                   f"SELECT settlement_id, kind, key, year, {scaled} FROM stage_acc")
    cursor.execute(f"""
        INSERT INTO claims_accumulator (person_id, year, kind, key, amount)
        SELECT person_id, year, kind, key, sum({scaled}) FROM stage_acc GROUP BY person_id, year, kind, key
        ON CONFLICT (person_id, year, kind, key) DO UPDATE SET amount = claims_accumulator.amount + EXCLUDED.amount
    """)
    _store_accounts(cursor, setl, settlement_of, persons, stamp)
    cursor.execute("UPDATE claims_visit SET status = 'settled' WHERE id IN (SELECT visit_id FROM stage_setl)")


def _stage_and_write_lines(cursor, lines: pd.DataFrame) -> None:
    ddl = ("settlement_id bigint, fee_line_id bigint, feedetl_sn text, amount_fen bigint, "
           + ", ".join(f"{c} bigint" for c in SPLIT_FEN) + ", chrgitm_lv text, selfpay_prop_e6 bigint, reason text")
    _stage(cursor, "stage_line", ddl, lines)
    money = ", ".join(f"{c}::numeric / 100" for c in SPLIT_FEN)
    prop = "CASE WHEN selfpay_prop_e6 < 0 THEN NULL ELSE selfpay_prop_e6::numeric / 1000000 END"
    cursor.execute(
        f"INSERT INTO claims_settlementline (settlement_id, fee_line_id, feedetl_sn, det_item_fee_sumamt, "
        f"{', '.join(SPLIT_FEN)}, chrgitm_lv, selfpay_prop, reason) "
        f"SELECT settlement_id, fee_line_id, feedetl_sn, amount_fen::numeric / 100, {money}, "
        f"coalesce(chrgitm_lv, ''), {prop}, coalesce(reason, '') FROM stage_line")
    cursor.execute(
        f"UPDATE claims_feeline f SET {', '.join(f'{c} = s.{c}::numeric / 100' for c in SPLIT_FEN)}, "
        f"chrgitm_lv = coalesce(s.chrgitm_lv, ''), selfpay_prop = {prop.replace('selfpay_prop_e6', 's.selfpay_prop_e6')},"
        f" reason = coalesce(s.reason, '') FROM stage_line s WHERE f.id = s.fee_line_id")


def _store_accounts(cursor, setl, settlement_of, persons, stamp) -> None:
    paying = setl[setl["acct_pay"] > 0]
    if paying.empty:
        return
    moves = pd.DataFrame({
        "account_id": persons.loc[paying["psn_no"], "account_id"].astype("int64").to_numpy(),
        "amount_fen": -paying["acct_pay"].to_numpy(), "balance_fen": paying["balc"].to_numpy(),
        "settlement_id": paying["mdtrt_id"].map(settlement_of).to_numpy(),
        "seq": np.arange(len(paying)),
    })
    _stage(cursor, "stage_move", "account_id bigint, amount_fen bigint, balance_fen bigint, settlement_id bigint, "
                                 "seq int", moves)
    cursor.execute(
        "INSERT INTO insurance_accountmovement (account_id, amount, balance_after, kind, settlement_id, created_at, "
        "reason) SELECT account_id, amount_fen::numeric / 100, balance_fen::numeric / 100, 'settlement', "
        "settlement_id, %s, '日终批处理个人账户支付' FROM stage_move ORDER BY seq", [stamp])
    cursor.execute(
        "UPDATE insurance_personalaccount a SET balance = m.balance_fen::numeric / 100, updated_at = %s "
        "FROM (SELECT DISTINCT ON (account_id) account_id, balance_fen FROM stage_move "
        "ORDER BY account_id, seq DESC) m WHERE a.id = m.account_id", [stamp])


def classify_chunk(run_date: dt.date, chunks: int, chunk_no: int) -> int:
    """Classify the day's uploaded active lines of this chunk's persons with one engine call."""
    start, end = _day_bounds(run_date)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("""
            DROP TABLE IF EXISTS chunk_visit;
            CREATE TEMP TABLE chunk_visit ON COMMIT DROP AS
            SELECT DISTINCT v.id, v.person_id, v.institution_id, coalesce(v.endtime, %(now)s) AS endtime
            FROM claims_feeline fl JOIN claims_upload u ON u.id = fl.upload_id JOIN claims_visit v ON v.id = fl.visit_id
            WHERE u.created_at >= %(start)s AND u.created_at < %(end)s AND fl.status = 'active'
              AND v.person_id %% %(chunks)s = %(chunk)s
        """, {"start": start, "end": end, "chunks": chunks, "chunk": chunk_no, "now": timezone.now()})
        visits = copy_out(cursor, VISITS_SQL.replace("v.endtime", "c.endtime"), {"tz": settings.TIME_ZONE},
                          dtype={"med_type": str, "insutype": str, "paid_through": str, "assistance_category": str,
                                 "psn_no": str},
                          parse_dates=["begntime", "setl_time", "enrolled_from", "enrolled_to"])
        if visits.empty:
            return 0
        lines = copy_out(cursor, LINES_SQL, dtype={"feedetl_sn": str, "med_list_codg": str, "mdtrt_id": str})
        persons = copy_out(cursor, PERSONS_SQL, dtype={"psn_no": str, "gender": str}, parse_dates=["birth_date"])
        catalog = _catalog_frame(copy_out(cursor, CATALOG_SQL, dtype={"med_list_codg": str, "chrg_lv": str,
                                                                       "restrict_gender": str}))
        visits["assistance_category"] = visits["assistance_category"].fillna("")
        _, packs = active_policies(set(visits["region"]))
        split = classify(lines, visits.drop(columns=["region"]), persons, catalog, packs)
        split = split.merge(lines[["mdtrt_id", "feedetl_sn", "fee_line_id"]], on=["mdtrt_id", "feedetl_sn"])
        staged = pd.DataFrame({
            "fee_line_id": split["fee_line_id"].to_numpy(), **{c: split[c].to_numpy() for c in SPLIT_FEN},
            "chrgitm_lv": split["chrgitm_lv"].fillna("").to_numpy(),
            "selfpay_prop_e6": split["selfpay_prop_e6"].to_numpy(), "reason": split["reason"].fillna("").to_numpy(),
        })
        _stage(cursor, "stage_class", "fee_line_id bigint, " + ", ".join(f"{c} bigint" for c in SPLIT_FEN)
               + ", chrgitm_lv text, selfpay_prop_e6 bigint, reason text", staged)
        prop = "CASE WHEN s.selfpay_prop_e6 < 0 THEN NULL ELSE s.selfpay_prop_e6::numeric / 1000000 END"
        cursor.execute(
            f"UPDATE claims_feeline f SET {', '.join(f'{c} = s.{c}::numeric / 100' for c in SPLIT_FEN)}, "
            f"chrgitm_lv = coalesce(s.chrgitm_lv, ''), selfpay_prop = {prop}, reason = coalesce(s.reason, '') "
            f"FROM stage_class s WHERE f.id = s.fee_line_id")
        return len(staged)


def _day_bounds(run_date: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(run_date, dt.time.min))
    return start, start + dt.timedelta(days=1)
