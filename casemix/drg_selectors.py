"""Queries of DRG years: a stored DRG table as the engine's DrgTable (policy_rules/engine/drg.py) and the secondary
diagnoses of the year's cases, which the CC/MCC list reads."""
from __future__ import annotations

import pandas as pd

from policy_rules.engine.drg import DrgTable, drg_table

from .models import LEVELS, DrgAdrg, DrgCc, DrgGroup, DrgMdc, GroupingTable, ListDiagnosis


def table_doc(table: GroupingTable) -> dict:
    """The stored table in docs/drg.md's shape {mdc[], adrg[], cc[], drg[]}."""
    adrgs = list(DrgAdrg.objects.filter(table=table).select_related("mdc").order_by("code"))
    return {
        "mdc": [{"code": m.code, "name": m.name, "diag_prefixes": m.diag_prefixes}
                for m in DrgMdc.objects.filter(table=table).order_by("code")],
        "adrg": [{"code": a.code, "mdc": a.mdc.code, "name": a.name, "kind": a.kind,
                  ("oprn_prefixes" if a.kind == "surgical" else "diag_prefixes"): a.prefixes} for a in adrgs],
        "cc": [{"diag_prefix": c.diag_prefix, "level": c.level, "excluded_main_prefixes": c.excluded_main_prefixes}
               for c in DrgCc.objects.filter(table=table).order_by("diag_prefix")],
        "drg": [{"code": d.code, "adrg": d.adrg.code, "name": d.name, "severity": d.severity, "rw": str(d.rw),
                 "ref_cost": {str(lv): str(getattr(d, f"ref_cost_{lv}")) for lv in LEVELS
                              if getattr(d, f"ref_cost_{lv}") is not None}}
                for d in DrgGroup.objects.filter(table=table).select_related("adrg").order_by("code")],
    }


def engine_table(table: GroupingTable) -> DrgTable:
    return drg_table(table_doc(table))


def drg_groups(table: GroupingTable) -> dict[str, DrgGroup]:
    """{DRG code: DrgGroup} of a table, with each one's ADRG and MDC."""
    return {d.code: d for d in DrgGroup.objects.filter(table=table).select_related("adrg__mdc")}


def with_secondary(cases: pd.DataFrame) -> pd.DataFrame:
    """The case frame (selectors.year_cases) with `secondary`: the other diagnoses of each case's list, in their
    order, joined by '|'."""
    secondary: dict[int, list[str]] = {}
    for list_id, diag in (ListDiagnosis.objects.filter(setl_list_id__in=[int(i) for i in cases["list_id"]],
                                                       maindiag_flag=False)
                          .order_by("setl_list_id", "seq").values_list("setl_list_id", "diag_code").iterator()):
        secondary.setdefault(list_id, []).append(diag)
    return cases.assign(secondary=["|".join(secondary.get(int(i), [])) for i in cases["list_id"]])
