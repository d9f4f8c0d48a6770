"""Smart audit in the claims pipeline: build the audit engine's frames, run the rules, record the hits.

Upload and pre-settlement return the "warn" hits to the institution; settlement records every hit
and opens suspect items (疑点) for the "suspect" ones. The rules run as frame operations in
policy_rules.engine.audit, for one visit and for a batch alike.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
from django.db.models import Avg, Count

from policy_rules.audit_rules import rules_in_force
from policy_rules.engine.audit import run_audit
from policy_rules.engine.frames import catalog_frame
from policy_rules.engine.money import QTY_SCALE, scaled
from policy_rules.models import CatalogItem

from .engine_io import fen_to_decimal, local_naive
from .models import FeeLine, FeeLineStatus, Settlement, SettlementKind, SettlementStatus, Visit

HISTORY_DAYS = 90


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - int((on.month, on.day) < (birth.month, birth.day))


def _visit_rows(visits) -> pd.DataFrame:
    rows = [{
        "mdtrt_id": v.mdtrt_id, "psn_no": v.person.psn_no, "fixmedins_code": v.institution.fixmedins_code,
        "med_type": v.med_type, "begntime": local_naive(v.begntime), "endtime": local_naive(v.endtime),
        "inst_level": v.institution.level, "gender": v.person.gender,
        "age": _age(v.person.birth_date, local_naive(v.begntime).date()),
        "diagnoses": tuple(d.get("diag_code", "") if isinstance(d, dict) else str(d) for d in (v.diagnoses or [])),
    } for v in visits]
    frame = pd.DataFrame(rows, columns=["mdtrt_id", "psn_no", "fixmedins_code", "med_type", "begntime", "endtime",
                                        "inst_level", "gender", "age", "diagnoses"])
    for c in ("begntime", "endtime"):
        frame[c] = pd.to_datetime(frame[c])
    return frame


def audit_frames(visits: list[Visit], stats_until: dt.datetime | None = None) -> dict:
    """The audit engine's inputs for these visits: lines, visits, catalog (with names), history, stats.

    The institutions' statistics cover the settlements of the last 2 × HISTORY_DAYS, up to stats_until
    (exclusive) when given: the daily job passes the start of its day, so that every chunk sees the same
    statistics whichever worker settles first."""
    lines = pd.DataFrame([
        {"mdtrt_id": r["visit__mdtrt_id"], "feedetl_sn": r["feedetl_sn"], "med_list_codg": r["med_list_codg"],
         "cnt_e4": scaled(r["cnt"], QTY_SCALE), "pric_e4": scaled(r["pric"], QTY_SCALE),
         "amount_fen": int(r["det_item_fee_sumamt"] * 100), "fee_ocur_time": local_naive(r["fee_ocur_time"])}
        for r in FeeLine.objects.filter(visit__in=visits, status=FeeLineStatus.ACTIVE).values(
            "visit__mdtrt_id", "feedetl_sn", "med_list_codg", "cnt", "pric", "det_item_fee_sumamt", "fee_ocur_time")
    ], columns=["mdtrt_id", "feedetl_sn", "med_list_codg", "cnt_e4", "pric_e4", "amount_fen", "fee_ocur_time"])
    lines["fee_ocur_time"] = pd.to_datetime(lines["fee_ocur_time"])
    codes = set(lines["med_list_codg"])
    items = list(CatalogItem.objects.filter(med_list_codg__in=codes).values(
        "med_list_codg", "name", "chrg_lv", "selfpay_prop", "price_limit", "restrict_gender", "restrict_min_age",
        "restrict_max_age", "restrict_min_level", "restrict_med_types", "effective_from", "effective_to"))
    catalog = catalog_frame(items)
    catalog["name"] = [i["name"] for i in items]
    frame = _visit_rows(visits)
    begin = min(v.begntime for v in visits) - dt.timedelta(days=HISTORY_DAYS)
    end = max((v.endtime or v.begntime) for v in visits) + dt.timedelta(days=HISTORY_DAYS)
    others = (Visit.objects.select_related("person", "institution")
              .filter(person__in={v.person_id for v in visits}, begntime__lt=end)
              .exclude(endtime__lt=begin).exclude(pk__in=[v.pk for v in visits]))
    stats_since = end - dt.timedelta(days=2 * HISTORY_DAYS)
    stats = Settlement.objects.filter(kind=SettlementKind.SETTLEMENT, status=SettlementStatus.SETTLED,
                                      setl_time__gte=stats_since, institution__in={v.institution_id for v in visits})
    if stats_until is not None:
        stats = stats.filter(setl_time__lt=stats_until)
    stats = (stats
             .values("institution__fixmedins_code", "visit__med_type")
             .annotate(avg=Avg("medfee_sumamt"), n=Count("pk")))
    inst_stats = pd.DataFrame([
        {"fixmedins_code": s["institution__fixmedins_code"], "med_type": s["visit__med_type"],
         "avg_amount_fen": int(round(s["avg"] * 100)), "visits": s["n"]} for s in stats
    ], columns=["fixmedins_code", "med_type", "avg_amount_fen", "visits"])
    return {"lines": lines, "visits": frame, "catalog": catalog, "history": _visit_rows(list(others)),
            "inst_stats": inst_stats}


def audit_visits(visits: list[Visit], *, stage: str, settlements: dict[str, Settlement] | None = None,
                 on: dt.datetime | None = None, stats_until: dt.datetime | None = None) -> pd.DataFrame:
    """Run the rules in force on these visits and record the hits; returns the hits frame."""
    from .review import record_hits

    visits = list(visits)
    if not visits:
        return pd.DataFrame()
    day = local_naive(on or max((v.endtime or v.begntime) for v in visits)).date()
    rules = rules_in_force(day)
    if not rules:
        return pd.DataFrame()
    hits = run_audit(rules=rules, **audit_frames(visits, stats_until))
    if stage == "settlement":
        hits = hits[hits["mdtrt_id"].isin(list(settlements or {}))]
    record_hits(hits, stage=stage, visits_by_mdtrt={v.mdtrt_id: v for v in visits},
                settlements_by_mdtrt=settlements)
    return hits


def warnings_of(hits: pd.DataFrame) -> list[dict]:
    """The hits an institution is told about at upload and pre-settlement."""
    if hits is None or hits.empty:
        return []
    return [{"rule_code": h.rule_code, "rule_type": h.rule_type, "severity": h.severity,
             "feedetl_sns": list(h.feedetl_sns), "amount": fen_to_decimal(h.amount_fen), "evidence": h.evidence}
            for h in hits.itertuples(index=False)]
