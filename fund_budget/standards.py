"""Per-bed-day (按床日) and per-disease (单病种) payment: which settlements are paid by a standard, and what
the institution is owed for them: max(0, standard − psn_part_amt), where the standard is days × the daily
standard (按床日) or the disease's per-case standard (单病种).

Rules (documented in docs and tested):
  * a standard applies to one institution, to the institutions of a level, or to all; the region is the
    institution's region or blank (all);
  * it is matched on the visit's medical type and its discharge year (endtime, else begntime, local time),
    so that a reversal next year mirrors the original settlement;
  * per-disease wins over per-bed-day; then an institution's own standard over its level's over the
    general one; then a regional row over a blank-region row; among several diagnoses the first listed
    (the principal diagnosis) that has a standard;
  * days = discharge date − admission date, at least 1 (the admission day counts, the discharge day not).

Settlements are fetched as values (one row per candidate settlement) and matched with pandas.
"""
from __future__ import annotations

import pandas as pd
from django.conf import settings

from policy_rules.engine.frames import diagnosis_code

from . import funds
from .common import ZERO
from .models import PaymentMethod, PaymentStandard

STANDARD_FIELDS = ["id", "year", "region", "institution_id", "level", "med_type", "method", "disease_code",
                   "standard"]
ROW_FIELDS = ["id", "institution_id", "kind", "fund_pay_sumamt", "psn_part_amt", "visit__med_type",
              "visit__begntime", "visit__endtime", "visit__diagnoses", "institution__level", "institution__region"]
RESULT_COLUMNS = ["id", "institution_id", "pool", "method", "sign", "fund", "claim", "gain_loss"]


def standards_frame(years: list[int]) -> pd.DataFrame:
    return pd.DataFrame(list(PaymentStandard.objects.filter(year__in=years).values(*STANDARD_FIELDS)),
                        columns=STANDARD_FIELDS)


def candidate_rows(qs, standards: pd.DataFrame) -> pd.DataFrame:
    """The settlements of qs (the month's window, capitation-covered ones excluded) whose medical type
    has a standard, one row each."""
    if standards.empty:
        return pd.DataFrame(columns=[*ROW_FIELDS, "pool"])
    qs = qs.filter(visit__med_type__in=sorted(set(standards["med_type"]))).annotate(pool=funds.pool_fund())
    return pd.DataFrame(list(qs.values(*ROW_FIELDS, "pool").order_by()), columns=[*ROW_FIELDS, "pool"])


def _local(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True).dt.tz_convert(settings.TIME_ZONE)


def _scope_ok(m: pd.DataFrame) -> pd.Series:
    return ((m["std_institution_id"].isna() | (m["std_institution_id"] == m["institution_id"]))
            & (m["std_level"].isna() | (m["std_level"] == m["level"]))
            & ((m["std_region"] == "") | (m["std_region"] == m["region"])))


def match_standards(rows: pd.DataFrame, standards: pd.DataFrame) -> pd.DataFrame:
    """For each settlement paid by a standard: method, signed FFS fund amount, signed claim, gain/loss."""
    if rows.empty or standards.empty:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    rows = rows.rename(columns={"visit__med_type": "med_type", "institution__level": "level",
                                "institution__region": "region"}).copy()
    begin = _local(rows["visit__begntime"])
    end = _local(rows["visit__endtime"].where(rows["visit__endtime"].notna(), rows["visit__begntime"]))
    rows["year"] = end.dt.year
    rows["days"] = (end.dt.normalize() - begin.dt.normalize()).dt.days.clip(lower=1)
    rows["level"] = rows["level"].astype("float64")
    std = standards.rename(columns={c: f"std_{c}" for c in STANDARD_FIELDS})
    std["std_disease_code"] = std["std_disease_code"].map(diagnosis_code)
    std["std_level"] = std["std_level"].astype("float64")
    std["std_institution_id"] = std["std_institution_id"].astype("float64")
    std["specificity"] = std["std_institution_id"].notna() * 2 + std["std_level"].notna() * 1
    std["regional"] = (std["std_region"] != "").astype(int)

    # per disease: every diagnosis of the visit, in order
    diag = rows[["id", "visit__diagnoses"]].copy()
    diag["visit__diagnoses"] = diag["visit__diagnoses"].map(lambda d: d if isinstance(d, list) and d else [None])
    diag = diag.explode("visit__diagnoses")
    diag["position"] = diag.groupby("id").cumcount()
    diag["code"] = diag["visit__diagnoses"].map(diagnosis_code)
    per_disease = std[std["std_method"] == PaymentMethod.PER_DISEASE]
    by_disease = (rows.merge(diag[["id", "position", "code"]], on="id")
                  .merge(per_disease, left_on=["year", "med_type", "code"],
                         right_on=["std_year", "std_med_type", "std_disease_code"]))
    by_disease["method_rank"] = 0
    per_day = std[std["std_method"] == PaymentMethod.PER_BED_DAY]
    by_day = rows.merge(per_day, left_on=["year", "med_type"], right_on=["std_year", "std_med_type"])
    by_day["position"] = 0
    by_day["method_rank"] = 1
    matched = pd.concat([by_disease, by_day], ignore_index=True)
    matched = matched[_scope_ok(matched)] if not matched.empty else matched
    if matched.empty:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    matched = (matched.sort_values(["id", "method_rank", "specificity", "regional", "position", "std_id"],
                                   ascending=[True, True, False, False, True, True])
               .drop_duplicates("id"))
    per_bed = matched["std_method"] == PaymentMethod.PER_BED_DAY
    amount = matched["std_standard"].where(~per_bed, matched["std_standard"] * matched["days"])
    claim = amount - matched["psn_part_amt"]
    claim = claim.where(claim > 0, ZERO)
    sign = matched["kind"].map(lambda k: -1 if k == "reversal" else 1)
    out = pd.DataFrame({
        "id": matched["id"], "institution_id": matched["institution_id"], "pool": matched["pool"],
        "method": matched["std_method"],
        "sign": sign, "fund": matched["fund_pay_sumamt"] * sign, "claim": claim * sign,
    })
    out["gain_loss"] = out["claim"] - out["fund"]
    return out.reset_index(drop=True)
