"""The coding-quality audit of a DIP run (结算清单编码质量审核; docs/dip.md "Coding-quality rules"): the rules of
the coding types in the smart-audit library (policy_rules.AuditRuleDefinition, in force on the year's last
day) over the run's cases, recorded as audit hits and suspect items through review.services.record_hits, the
path every other audit hit takes. The checks are the engine's (policy_rules/engine/audit/coding.py).

It runs once per run, over the run's cases as the run stored them (each case's list version and group):
`run_dip_year_audited` is the year's run followed by its audit in one transaction, what every path that runs a
year calls (manage.py run_dip_year, the DIP case runner, the demo). Hits are append-only and idempotent: a run
again finds the same hits under the same keys and records nothing twice; a settlement gets at most one item
per rule (review.hits.items_to_open).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
from django.db import transaction

from claims.models import FeeLine, FeeLineStatus, Settlement
from policy_rules.audit_library import rules_in_force
from policy_rules.engine.audit.coding import run_coding_audit
from policy_rules.engine.audit.schema import LIST_RULE_TYPES
from policy_rules.engine.money import FEN
from review.models import AuditHit, HitStage
from review.services import record_hits

from .models import DipRun, ListDiagnosis, ListOperation
from .selectors import groups_frame, run_case_results
from .services import run_dip_year


def rules_day(run: DipRun) -> dt.date:
    """The day whose rules audit a run: the year's last day, as the grouping table (selectors.table_in_force)."""
    return dt.date(run.year, 12, 31)


def run_frames(run: DipRun) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict, dict]:
    """The engine's frames of a run's cases (audit.coding: cases, secondary diagnoses, the fee lines of the
    cases that have any) and the visits and settlements by mdtrt_id for record_hits."""
    results = list(run_case_results(run).select_related("settlement__visit__person"))
    visits, settlements, rows = {}, {}, []
    for r in results:
        s: Settlement = r.settlement
        v = s.visit
        visits[v.mdtrt_id], settlements[v.mdtrt_id] = v, s
        rows.append({"mdtrt_id": v.mdtrt_id, "psn_no": v.person.psn_no, "fixmedins_code": r.institution.fixmedins_code,
                     "med_type": v.med_type, "begntime": v.begntime, "endtime": v.endtime,
                     "level": r.institution.level, "list_id": r.setl_list_id, "group": r.group_code,
                     "medfee_fen": int(r.medfee_sumamt * FEN), "fund_fen": int(r.fund_pay_sumamt * FEN)})
    cases = pd.DataFrame(rows, columns=["mdtrt_id", "psn_no", "fixmedins_code", "med_type", "begntime", "endtime",
                                        "level", "list_id", "group", "medfee_fen", "fund_fen"])
    mdtrt_of_list = dict(zip(cases["list_id"], cases["mdtrt_id"], strict=True))
    main_diag, secondary = {}, []
    for list_id, code, name, main in ListDiagnosis.objects.filter(setl_list_id__in=list(mdtrt_of_list)).values_list(
            "setl_list_id", "diag_code", "diag_name", "maindiag_flag"):
        if main:
            main_diag[list_id] = code
        else:
            secondary.append((mdtrt_of_list[list_id], code, name))
    main_oprn = dict(ListOperation.objects.filter(setl_list_id__in=list(mdtrt_of_list), main_oprn_flag=True)
                     .values_list("setl_list_id", "oprn_oprt_code"))
    cases["main_diag"] = cases["list_id"].map(main_diag).fillna("")
    cases["main_oprn"] = cases["list_id"].map(main_oprn).fillna("")
    diagnoses = pd.DataFrame(secondary, columns=["mdtrt_id", "diag_code", "diag_name"])
    with_secondary = {visits[m].pk for m in diagnoses["mdtrt_id"].unique()}
    lines = pd.DataFrame(
        [(visit_mdtrt, code) for visit_mdtrt, code in FeeLine.objects.filter(
            visit_id__in=with_secondary, status=FeeLineStatus.ACTIVE).values_list("visit__mdtrt_id", "med_list_codg")],
        columns=["mdtrt_id", "med_list_codg"])
    return cases, diagnoses, lines, visits, settlements


def audit_dip_run(run: DipRun) -> dict:
    """Record the coding-quality hits of a stored run's cases (stage settlement: suspect hits open items in the
    caseworker's queue). {"hits": [new AuditHit], "items": [new SuspectItem]}; nothing without a coding rule in
    force."""
    rules = rules_in_force(rules_day(run))
    if not any(r.rule_type in LIST_RULE_TYPES for r in rules):
        return {"hits": [], "items": []}
    cases, diagnoses, lines, visits, settlements = run_frames(run)
    hits = run_coding_audit(cases, diagnoses, lines, groups_frame(run.table), rules)
    return record_hits(hits, stage=HitStage.SETTLEMENT, visits_by_mdtrt=visits, settlements_by_mdtrt=settlements)


def run_dip_year_audited(region: str, year: int, **options) -> tuple[DipRun, dict]:
    """casemix.services.run_dip_year and the coding audit of the run it stores, in one transaction: what every
    path that runs a year calls. (The run, what audit_dip_run recorded.)"""
    with transaction.atomic():
        run = run_dip_year(region, year, **options)
        return run, audit_dip_run(run)


def case_hits(settlement: Settlement):
    """The coding-quality hits recorded for a settlement, newest first, with their items."""
    return (AuditHit.objects.filter(settlement=settlement, rule_type__in=LIST_RULE_TYPES)
            .select_related("item", "rule").order_by("-created_at", "-pk"))
