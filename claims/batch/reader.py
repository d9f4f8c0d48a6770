"""The night's reader: a chunk's engine inputs read with COPY from its temporary table of visits (chunk_visit).

It gives what the request path's reader (claims.settlement.loading) gives, the plan's `Inputs` with the
same columns, types and scales, plus what only the night needs: which visits were uploaded on the day
(`today`), which are to be settled (`settle`), and each line's time for the audit.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd
from django.conf import settings

from claims.batch.quarantine import DATE_HIGH, DATE_LOW
from claims.settlement.layer_facts import layer_columns, parallel_frame, uses_layers, wage_frame
from claims.settlement.loading import active_policies, chronic_columns
from claims.settlement.plan import LINE_KEYS, SPLIT_FEN, VISIT_KEYS, Inputs
from core.pgcopy import copy_out
from policy_rules.engine.frames import ENROLLMENT_FIELDS, enrollments_in_force


def _local(column: str) -> str:
    return f"({column} AT TIME ZONE %(tz)s)"


VISITS_SQL = f"""
SELECT v.id AS visit_id, v.mdtrt_id, p.psn_no, v.med_type, {_local('v.begntime')} AS begntime,
       {_local('c.endtime')} AS setl_time, i.level AS inst_level, i.designated AS inst_designated, i.region,
       coalesce(v.enrollment_id, -1) AS enrollment_id, v.person_id, v.institution_id, c.today, c.settle,
       v.dise_codg, v.matn_type
FROM chunk_visit c
JOIN claims_visit v ON v.id = c.id
JOIN insurance_person p ON p.id = v.person_id
JOIN insurance_institution i ON i.id = v.institution_id
"""

# the enrollments of the chunk's persons, from which enrollments_in_force chooses each visit's
ENROLLMENTS_SQL = f"""
SELECT e.id AS enrollment_id, e.person_id, {', '.join(f'e.{c}' for c in ENROLLMENT_FIELDS)}
FROM insurance_enrollment e WHERE e.person_id IN (SELECT DISTINCT person_id FROM chunk_visit)
"""

# the employer wages of the chunk's persons (the maternity allowance: claims.settlement.layer_facts)
WAGES_SQL = """
SELECT w.person_id AS person, w.effective_from, w.effective_to, round(w.avg_monthly_wage * 100)::bigint AS wage_fen
FROM insurance_employerwage w WHERE w.person_id IN (SELECT DISTINCT person_id FROM chunk_visit)
"""

# a line's time outside the quarantine's range is neither turned into local time nor read: its visit is set aside
# before the engine (claims.batch.quarantine.set_aside_lines, from bad_time). The rest cannot fail on the columns'
# types: numeric(16, 4) × 10^4 and numeric(14, 2) × 10^2 fit a bigint.
_IN_RANGE = "fl.fee_ocur_time BETWEEN %(low)s AND %(high)s"
LINES_SQL = f"""
SELECT fl.id AS fee_line_id, v.mdtrt_id, fl.feedetl_sn, fl.med_list_codg,
       round(fl.cnt * 10000)::bigint AS cnt_e4, round(fl.pric * 10000)::bigint AS pric_e4,
       round(fl.det_item_fee_sumamt * 100)::bigint AS amount_fen,
       CASE WHEN {_IN_RANGE} THEN {_local('fl.fee_ocur_time')} END AS fee_ocur_time,
       {', '.join(f"coalesce(round(fl.{c} * 100)::bigint, -1) AS stored_{c}" for c in SPLIT_FEN)},
       fl.chrgitm_lv AS stored_chrgitm_lv, coalesce(round(fl.selfpay_prop * 1000000)::bigint, -1) AS stored_selfpay_prop_e6,
       fl.reason AS stored_reason, c.id AS visit_id, (NOT coalesce({_IN_RANGE}, true))::int AS bad_time
FROM chunk_visit c JOIN claims_visit v ON v.id = c.id
JOIN claims_feeline fl ON fl.visit_id = v.id AND fl.status = 'active'
"""
# LINES_SQL's columns for the quarantine only, dropped before the engine
LINE_CHECKS = ["visit_id", "bad_time"]

PERSONS_SQL = """
SELECT p.psn_no, p.gender, p.birth_date, coalesce(round(a.balance * 100)::bigint, 0) AS acct_balance_fen,
       p.id AS person_id, a.id AS account_id
FROM insurance_person p LEFT JOIN insurance_personalaccount a ON a.person_id = p.id
WHERE p.id IN (SELECT DISTINCT person_id FROM chunk_visit)
"""

CATALOG_SQL = """
SELECT med_list_codg, name, chrg_lv, coalesce(round(selfpay_prop * 1000000)::bigint, -1) AS selfpay_prop_e6,
       coalesce(round(price_limit * 10000)::bigint, -1) AS price_limit_e4, restrict_gender,
       coalesce(restrict_min_age, -1) AS restrict_min_age, coalesce(restrict_max_age, -1) AS restrict_max_age,
       coalesce(restrict_min_level, -1) AS restrict_min_level, restrict_med_types::text AS restrict_med_types,
       effective_from, effective_to
FROM policy_rules_catalogitem
WHERE med_list_codg = ANY(%(codes)s)
"""

STATE_SQL = """
SELECT p.psn_no, a.year, a.kind, a.key,
       CASE WHEN a.kind = 'admissions' THEN round(a.amount)::bigint ELSE round(a.amount * 100)::bigint END AS amount
FROM claims_accumulator a JOIN insurance_person p ON p.id = a.person_id
WHERE a.person_id IN (SELECT person_id FROM chunk_visit WHERE settle) AND a.year = ANY(%(years)s)
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


def _add_chronic(visits: pd.DataFrame, begin_date: pd.Series) -> None:
    """The 门慢特 columns of the chunk's visits (loading.chronic_columns, as the request path reads them)."""
    visits["dise_codg"] = visits["dise_codg"].fillna("")
    for c, values in chronic_columns(pd.DataFrame({
            "person": visits["person_id"], "begin_date": begin_date, "dise_codg": visits["dise_codg"],
            "institution": visits["institution_id"]})).items():
        visits[c] = values


def _layer_columns(cursor, visits: pd.DataFrame, enrollments: pd.DataFrame) -> dict:
    """claims.settlement.layer_facts.layer_columns of the chunk's visits: their persons' parallel enrollments
    (among those already read) and employer wages (WAGES_SQL)."""
    wages = copy_out(cursor, WAGES_SQL, parse_dates=["effective_from", "effective_to"])
    parallel = enrollments[["person_id", "insutype", "enrolled_from", "enrolled_to"]].to_numpy().tolist()
    frame = pd.DataFrame({"person": visits["person_id"].to_numpy(), "begin_date": visits["begntime"].dt.normalize(),
                          "insutype": visits["insutype"].to_numpy(), "dise_codg": visits["dise_codg"].to_numpy(),
                          "matn_type": visits["matn_type"].to_numpy()})
    return layer_columns(frame, parallel_frame(parallel),
                         wage_frame(wages[["person", "effective_from", "effective_to", "wage_fen"]].to_numpy().tolist()))


# --- staging with binary COPY ------------------------------------------------------------------------------------

# --- one chunk of the daily job ---------------------------------------------------------------------------------

@dataclass
class Chunk:
    """A chunk as read: the plan's Inputs of all its visits, and the raw frames they were cut from (visits with
    today, settle, region and their keys; lines with their keys and fee_ocur_time, for the audit)."""
    inputs: Inputs
    visits: pd.DataFrame
    lines: pd.DataFrame


def read_lines(cursor) -> pd.DataFrame:
    """The active fee lines of the chunk's visits (chunk_visit), read once per chunk: the quarantine checks them
    (claims.batch.quarantine.set_aside_lines), then read_chunk takes those of its visits."""
    # fee_ocur_time stays text: only the audit reads it, for the settled visits' lines (claims.batch.audit)
    lines = copy_out(cursor, LINES_SQL, {"tz": settings.TIME_ZONE, "low": DATE_LOW, "high": DATE_HIGH},
                     dtype={"feedetl_sn": str, "med_list_codg": str, "mdtrt_id": str, "fee_ocur_time": str,
                            "stored_chrgitm_lv": str, "stored_reason": str})
    for c in ("stored_chrgitm_lv", "stored_reason"):
        lines[c] = lines[c].fillna("")
    return lines


def _lines_of(lines: pd.DataFrame, visits: pd.DataFrame) -> pd.DataFrame:
    """read_lines' lines of these visits (all of them but when the chunk is retried in halves), without the
    quarantine's columns."""
    kept = lines["visit_id"].isin(visits["visit_id"]).to_numpy()
    if not kept.all():
        lines = lines[kept].reset_index(drop=True)
    return lines.drop(columns=LINE_CHECKS)


def read_chunk(cursor, lines: pd.DataFrame) -> Chunk | None:
    """The engine's inputs for the chunk's visits (chunk_visit), with their lines among `lines` (read_lines);
    None when it has none."""
    tz = settings.TIME_ZONE
    visits = copy_out(cursor, VISITS_SQL, {"tz": tz},
                      dtype={"med_type": str, "psn_no": str, "mdtrt_id": str, "region": str, "dise_codg": str,
                             "matn_type": str},
                      parse_dates=["begntime", "setl_time"])
    if visits.empty:
        return None
    for c in ("begntime", "setl_time"):  # with and without fractional seconds (a visit still open: now)
        visits[c] = pd.to_datetime(visits[c], format="ISO8601")
    for c in ("today", "settle", "inst_designated"):
        visits[c] = visits[c].astype(str).str.lower().isin(["t", "true"])
    enrollments = copy_out(cursor, ENROLLMENTS_SQL, dtype={c: str for c in ENROLLMENT_FIELDS if "enrolled" not in c},
                           parse_dates=["enrolled_from", "enrolled_to"])
    begin_date = visits["begntime"].dt.normalize()
    chosen = enrollments_in_force(visits.assign(begin_date=begin_date), enrollments)
    for c in ENROLLMENT_FIELDS:
        visits[c] = chosen[c].to_numpy()
    _add_chronic(visits, begin_date)
    lines = _lines_of(lines, visits)
    persons = copy_out(cursor, PERSONS_SQL, dtype={"psn_no": str, "gender": str}, parse_dates=["birth_date"])
    codes = sorted(set(lines["med_list_codg"]))
    catalog = _catalog_frame(copy_out(cursor, CATALOG_SQL, {"codes": codes},
                                      dtype={"med_list_codg": str, "name": str, "chrg_lv": str,
                                             "restrict_gender": str}))
    years = sorted({int(y) for y in visits.loc[visits["settle"], "setl_time"].dt.year.unique()})
    state = copy_out(cursor, STATE_SQL, {"years": years}, dtype={"psn_no": str, "kind": str, "key": str})
    state["key"] = state["key"].fillna("")
    versions, packs = active_policies(set(visits["region"]))
    layer_visits = visits.drop(columns=["dise_codg", "matn_type"])
    if uses_layers(packs):  # the project's layers' facts, as the request's reader reads them
        layer_visits = layer_visits.assign(**_layer_columns(cursor, visits, enrollments))
    inputs = Inputs(
        lines=lines, visits=layer_visits.drop(columns=["region", "today", "settle"]), persons=persons, catalog=catalog,
        policies=packs, state=state, visit_keys=visits[list(VISIT_KEYS)], line_keys=lines[list(LINE_KEYS)],
        version_ids={p.code: v.pk for p, v in zip(packs, versions, strict=True)},
    )
    return Chunk(inputs=inputs, visits=visits, lines=lines)
