"""Objects the DIP tests share: an inpatient settlement of an institution and a good settlement list for it."""
from __future__ import annotations

import copy

from claims.models import VisitStatus
from tests.factories import D, PaidSettlementFactory, VisitFactory, local_dt

ADMITTED = local_dt(2026, 3, 2, 9, 0)
DISCHARGED = local_dt(2026, 3, 10, 10, 0)

GOOD_LIST = {
    "dscg_way": "1",
    "chfpdr_code": "D110001",
    "scs_cutd_sum_dura": "0",
    "vent_used_dura": "0",
    "diseinfo": [
        {"diag_code": "K35.800", "diag_name": "急性阑尾炎", "maindiag_flag": "1", "adm_cond_type": "1"},
        {"diag_code": "I10.x00", "diag_name": "原发性高血压", "maindiag_flag": "0", "adm_cond_type": "1"},
    ],
    "oprninfo": [
        {"oprn_oprt_code": "47.0100", "oprn_oprt_name": "腹腔镜下阑尾切除术", "main_oprn_flag": "1",
         "oprn_oprt_date": "2026-03-03", "anst_way": "1", "oper_dr_code": "D110002"},
    ],
}


def good_list(**changes) -> dict:
    body = copy.deepcopy(GOOD_LIST)
    body.update(changes)
    return body


def inpatient_settlement(institution, person, *, fund="7000.00", part="2000.00", setl_id=None,
                         policy_version=None, begntime=ADMITTED, endtime=DISCHARGED, diagnoses=("I10",)):
    """A settled inpatient visit of `person` at `institution` and its settlement with these amounts."""
    visit = VisitFactory(institution=institution, person=person, begntime=begntime, endtime=endtime,
                         status=VisitStatus.SETTLED, diagnoses=list(diagnoses))
    extra = {"setl_id": setl_id} if setl_id else {}
    if policy_version is not None:
        extra["policy_version"] = policy_version
    return PaidSettlementFactory(visit=visit, hifp_pay=D(fund), psn_part=D(part), setl_time=endtime, **extra)


