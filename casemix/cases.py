"""Run a DIP case file (shared/spec/dip.md section 5), or a DRG one (docs/drg.md: `method` drg_points or drg_rate,
`drg_table`, `params.rate`), through the database: everything in the file is loaded into the (empty) database —
the grouping table and the year's parameters through the importers, institutions,
and each case as a settled inpatient visit with its amounts and its settlement list through the list service —
then the year runs through casemix.coding.run_dip_year_audited (the year-end clearing's run_dip_year and its coding audit), and what it
stored is compared with `expected` by the engine's compare_dip."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from django.utils import timezone

from claims.models import MedType, Settlement, Visit, VisitStatus
from insurance.models import Gender, Institution, InstitutionKind, Person
from policy_rules.engine.dip import POINT_SCALE, VALUE_SCALE, DipInputError, DipResult, code
from policy_rules.engine.dip_cases import TOP_KEYS, DipDifference, compare_dip
from policy_rules.engine.money import FEN, to_decimal
from policy_rules.models import PolicyStatus, PolicyVersion

from .coding import run_dip_year_audited
from .drg_importer import create_drg_table, doc_sheets
from .importer import create_grouping_table, set_year_parameters, spec_rows
from .lists import FEMALE_DIAG, FEMALE_OPRN, upload_settlement_list
from .models import DipRun
from .selectors import run_case_results, run_institution_results

REGION = "999999"  # the case file's pool: one region for its institutions, table and parameters


@dataclass
class DipCaseRun:
    title: str
    run: DipRun
    differences: list[DipDifference] = field(default_factory=list)
    matching: int = 0
    total: int = 0


def _local(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour))


def _settle(doc_case: dict, institution: Institution, policy: PolicyVersion, admitted: dt.date) -> Settlement:
    """The case as a discharged and settled inpatient visit: its amounts as the fund paid them (all in scope,
    the fund by the basic pool, the patient's share in cash)."""
    female = FEMALE_DIAG.match(code(doc_case.get("main_diag"))) or FEMALE_OPRN.match(code(doc_case.get("main_oprn")))
    person, _ = Person.objects.get_or_create(psn_no=doc_case["psn_no"], defaults={
        "name": doc_case["psn_no"], "gender": doc_case.get("gender") or (Gender.FEMALE if female else Gender.MALE),
        "birth_date": dt.date.fromisoformat(doc_case.get("birth_date") or "1970-01-01")})
    begntime, endtime = _local(admitted, 9), _local(admitted + dt.timedelta(days=6), 10)
    visit = Visit.objects.create(mdtrt_id=f"M-{doc_case['setl_id']}", person=person, institution=institution,
                                 med_type=MedType.INPATIENT, begntime=begntime, endtime=endtime,
                                 diagnoses=[code(doc_case.get("main_diag"))], status=VisitStatus.SETTLED)
    medfee, fund, part = (to_decimal(doc_case[k]) for k in ("medfee_sumamt", "fund_pay_sumamt", "psn_part_amt"))
    if medfee != fund + part:
        raise DipInputError(f"cases {doc_case['setl_id']}: medfee_sumamt must equal fund_pay_sumamt + psn_part_amt")
    zero = Decimal("0.00")
    return Settlement.objects.create(
        setl_id=str(doc_case["setl_id"]), visit=visit, person=person, institution=institution,
        policy_version=policy, setl_time=endtime, med_type=MedType.INPATIENT, medfee_sumamt=medfee,
        fulamt_ownpay_amt=zero, overlmt_selfpay=zero, preselfpay_amt=zero, inscp_scp_amt=medfee, act_pay_dedc=zero,
        hifp_pay=fund, hifob_pay=zero, hifmi_pay=zero, maf_pay=zero, fund_pay_sumamt=fund, psn_part_amt=part,
        acct_pay=zero, psn_cash_pay=part, reason="DIP case run")


def case_list(doc_case: dict, operated: dt.date) -> dict:
    """The case's settlement list [4101]: its main diagnosis, its main operation when it has one."""
    main_oprn = code(doc_case.get("main_oprn"))
    return {
        "dscg_way": "1", "chfpdr_code": "D0001", "scs_cutd_sum_dura": Decimal("0"), "vent_used_dura": Decimal("0"),
        "nwb_bir_wt": [], "nwb_adm_wt": None,
        "diseinfo": [{"diag_code": code(doc_case.get("main_diag")), "diag_name": code(doc_case.get("main_diag")),
                      "maindiag_flag": True, "adm_cond_type": "1"},
                     *({"diag_code": d, "diag_name": d, "maindiag_flag": False, "adm_cond_type": "1"}
                       for d in (code(x) for x in doc_case.get("secondary_diags") or []) if d)],
        "oprninfo": [{"oprn_oprt_code": main_oprn, "oprn_oprt_name": main_oprn, "main_oprn_flag": True,
                      "oprn_oprt_date": operated, "anst_way": "1"}] if main_oprn else [],
    }


def stored_result(run: DipRun) -> DipResult:
    """What the run stored, as the engine's result frames (compare_dip reads them)."""
    cases = pd.DataFrame([
        {"case_id": r.settlement.setl_id, "institution": r.institution.fixmedins_code, "group": r.group_code,
         "kind": r.kind, "points_e4": -1 if r.points is None else int(r.points * POINT_SCALE),
         "reason": r.ungrouped_reason}
        for r in run_case_results(run)], columns=["case_id", "institution", "group", "kind", "points_e4", "reason"])
    institutions = pd.DataFrame([
        {"institution": r.institution.fixmedins_code, "points_e4": int(r.points * POINT_SCALE),
         "patient_share_fen": int(r.patient_share * FEN), "fund_paid_fen": int(r.fund_paid_by_items * FEN),
         "dip_amount_fen": int(r.dip_amount * FEN), "clearing_fen": int(r.clearing * FEN)}
        for r in run_institution_results(run)],
        columns=["institution", "points_e4", "patient_share_fen", "fund_paid_fen", "dip_amount_fen", "clearing_fen"])
    return DipResult(cases, institutions, int(run.point_value * VALUE_SCALE))


def run_dip_case(doc: dict) -> DipCaseRun:
    """Load a DIP case file into the current (empty) database, run its year, compare. Raises DipInputError for a
    malformed file, claims.errors.ServiceError for data the services refuse."""
    if not isinstance(doc, dict):
        raise DipInputError("a DIP case file must be a JSON object")
    missing = [k for k in TOP_KEYS if k not in doc]
    if missing:
        raise DipInputError(f"missing top-level keys: {', '.join(missing)}")
    year = int(doc["year"])
    first = dt.date(year, 1, 1)
    table = {"code": f"DIP-CASE-{year}", "name": doc.get("title") or "DIP case", "region": REGION,
             "effective_from": first, "effective_to": dt.date(year, 12, 31), "source_name": "case file"}
    method = doc.get("method") or "dip"
    if method == "dip":
        create_grouping_table(spec_rows(doc["groups"]), **table)
    else:
        create_drg_table(doc_sheets(doc.get("drg_table"), "drg_table"), **table)
    set_year_parameters(region=REGION, year=year, doc={**doc["params"], "method": method}, reason="DIP case file")
    policy = PolicyVersion.objects.create(code=f"DIP-CASE-{year}", name="DIP case file", region=REGION,
                                          effective_from=first, effective_to=dt.date(year, 12, 31),
                                          status=PolicyStatus.ACTIVE, document={}, source_name="case file")
    institutions = {}
    for i in doc["institutions"]:
        institutions[i["fixmedins_code"]] = Institution.objects.create(
            fixmedins_code=i["fixmedins_code"], name=i.get("name") or i["fixmedins_code"], level=int(i["level"]),
            kind=InstitutionKind.HOSPITAL, region=REGION)
    for n, c in enumerate(doc["cases"]):
        if c.get("fixmedins_code") not in institutions:
            raise DipInputError(f"cases[{n}].fixmedins_code: unknown institution {c.get('fixmedins_code')!r}")
        admitted = first + dt.timedelta(days=n % 300)
        settlement = _settle(c, institutions[c["fixmedins_code"]], policy, admitted)
        upload_settlement_list(settlement, case_list(c, admitted + dt.timedelta(days=1)))
    run, _audited = run_dip_year_audited(REGION, year, reason="DIP case run", final=True)
    differences, matching, total = compare_dip(doc["expected"], stored_result(run))
    return DipCaseRun(doc.get("title", ""), run, differences, matching, total)
