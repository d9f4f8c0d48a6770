"""The demo city's settlement lists and DIP runs: every settled inpatient settlement of a year without a list
gets one through the list service [4101] (its visit's diagnosis as the main diagnosis, the usual operation of
that diagnosis, on the day after admission); a list the service refuses (a code that does not fit the person) is
counted and skipped.

The past year is closed as the bureau closes it: its final DIP run (casemix.coding.run_dip_year_audited, final=True,
which fixes the groups) and then the year-end clearing (fund_budget.clearing.clear_year), whose draft reports
take each institution's DIP line from that run. The current year gets a trial run (not final, so its lists stay
open). Each step keeps what is there, so it can run again."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from casemix.coding import run_dip_year_audited
from casemix.lists import upload_settlement_list
from casemix.models import SettlementList
from casemix.selectors import latest_run, parameters_of, table_in_force, year_settlements
from claims.errors import ServiceError
from fund_budget.clearing import clear_year

# the demo diagnoses' usual main operation (ICD-9-CM-3 医保版); none: conservative treatment
OPERATIONS = {"K35": ("47.0100", "腹腔镜下阑尾切除术"), "I21": ("36.0601", "冠状动脉药物洗脱支架置入术"),
              "S72": ("79.3500", "股骨骨折切开复位内固定术"), "N20": ("98.5100", "肾结石体外冲击波碎石"),
              "C83": ("99.2500", "化学治疗药物注射")}


def demo_list(diag: str, operated: dt.date) -> dict:
    operation = OPERATIONS.get(diag[:3])
    return {
        "dscg_way": "1", "chfpdr_code": "D0001", "scs_cutd_sum_dura": 0, "vent_used_dura": 0, "nwb_bir_wt": [],
        "nwb_adm_wt": None,
        "diseinfo": [{"diag_code": diag, "diag_name": diag, "maindiag_flag": True, "adm_cond_type": "1"}],
        "oprninfo": [] if operation is None else [{
            "oprn_oprt_code": operation[0], "oprn_oprt_name": operation[1], "main_oprn_flag": True,
            "oprn_oprt_date": operated, "anst_way": "1", "oper_dr_code": "D0002"}],
    }


def seed_lists(region: str, year: int, say=print) -> dict[str, int]:
    """Lists for the year's settled inpatient settlements that have none."""
    counts = {"lists": 0, "refused": 0, "kept": 0}
    listed = set(SettlementList.objects.values_list("settlement_id", flat=True))
    for settlement in year_settlements(region, year).select_related("visit", "person").order_by("setl_time"):
        if settlement.pk in listed:
            counts["kept"] += 1
            continue
        diagnoses = settlement.visit.diagnoses or []
        if not diagnoses:
            counts["refused"] += 1
            continue
        admitted = timezone.localtime(settlement.visit.begntime).date()
        discharged = timezone.localtime(settlement.visit.endtime or settlement.setl_time).date()
        try:
            upload_settlement_list(settlement, demo_list(str(diagnoses[0]), min(admitted + dt.timedelta(days=1),
                                                                                  discharged)))
            counts["lists"] += 1
        except ServiceError:
            counts["refused"] += 1
    say(f"DIP lists {region} {year}: {counts['lists']} uploaded, {counts['kept']} kept, {counts['refused']} refused")
    return counts


def _has_table(region: str, year: int) -> bool:
    return table_in_force(region, dt.date(year, 12, 31)) is not None and parameters_of(region, year) is not None


def _said(run) -> str:
    return (f"DIP run #{run.pk}{' (final)' if run.final else ''}: {run.grouped}/{run.cases} cases grouped, "
            f"point value {run.point_value}")


def seed_dip(region: str, year: int, say=print) -> dict[str, int]:
    """The current year: lists, then a trial DIP run when the region has a grouping table and parameters for
    the year."""
    counts = seed_lists(region, year, say)
    if _has_table(region, year):
        run, audited = run_dip_year_audited(region, year, reason="demo")
        say(f"{_said(run)}; coding audit: {len(audited['items'])} suspect items")
        counts["grouped"] = run.grouped
    return counts


def close_dip_year(region: str, year: int, say=print) -> dict[str, int]:
    """A past year: lists, the year's final DIP run (unless it has one; kept then) and the year-end clearing,
    which carries each institution's DIP line. Without a grouping table or parameters for the year: the lists
    only. The clearing raises FundError without December's statements."""
    counts = seed_lists(region, year, say)
    if not _has_table(region, year):
        return counts
    run = latest_run(region, year, final=True)
    if run is None:
        run, _audited = run_dip_year_audited(region, year, final=True, reason=f"year-end clearing {year} (demo)")
    else:
        say("the year's final DIP run is kept")
    say(_said(run))
    counts["grouped"] = run.grouped
    cleared = clear_year(year)
    say(f"clearing {year}: " + ", ".join(f"{k} {v}" for k, v in cleared.items()))
    return counts
