"""Run a case file (shared/spec/case-format.md) end to end through the platform's own services.

Everything in the file is loaded into the (empty) database, the visits and lines go in through the
services the provider API uses, the visits are settled in the spec's order through the one engine,
and every expected field of every visit and line is compared with what was stored.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from django.contrib.auth import get_user_model
from django.utils import timezone

from claims.intake.services import discharge_visit, register_visit, upload_fee_lines
from claims.models import Accumulator, Settlement, SettlementKind, SettlementLine
from claims.settlement.services import settle_visit
from claims.settlement.writers import accumulator_value
from insurance.chronic_services import import_chronic_diseases, import_qualification
from insurance.models import EmployerWage, Enrollment, Institution, InstitutionKind, Person, PersonalAccount
from insurance.qualifications import ChronicDisease
from policy_rules.engine.adjudicate import LAYER_COLUMNS
from policy_rules.engine.cases import SETL_FIELDS, CaseFormatError, Difference, compare, validate_case
from policy_rules.engine.frames import state_from_ytd
from policy_rules.models import CatalogItem, ListType
from policy_rules.services import import_policy_pack


@dataclass
class CaseResult:
    title: str
    visits: list[str]
    differences: list[Difference] = field(default_factory=list)
    settlements: dict[str, Settlement] = field(default_factory=dict)

    @property
    def matching(self) -> int:
        bad = {d.mdtrt_id for d in self.differences}
        return sum(1 for m in self.visits if m not in bad)


def local(value: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(value))


def list_type(code: str) -> str:
    if code.startswith("X") or code.startswith("Z"):
        return ListType.DRUG
    if code.startswith("C"):
        return ListType.CONSUMABLE
    return ListType.SERVICE


def load_reference_data(doc: dict) -> None:
    """Policy, catalog, institutions and persons (with their year so far) of a case file."""
    version = import_policy_pack(doc["policy"], source_name=doc.get("title", "case"))
    CatalogItem.objects.bulk_create([
        CatalogItem(
            med_list_codg=c["code"], name=c.get("name", c["code"]), list_type=list_type(c["code"]),
            chrg_lv=c["chrg_lv"], selfpay_prop=c.get("selfpay_prop"), price_limit=c.get("price_limit"),
            restrict_gender=(c.get("restrict") or {}).get("gender") or "",
            restrict_min_age=(c.get("restrict") or {}).get("min_age"),
            restrict_max_age=(c.get("restrict") or {}).get("max_age"),
            restrict_min_level=(c.get("restrict") or {}).get("min_level"),
            restrict_med_types=list((c.get("restrict") or {}).get("med_types") or []),
            effective_from=version.effective_from, effective_to=version.effective_to,
        )
        for c in doc["catalog"]
    ])
    Institution.objects.bulk_create([
        Institution(fixmedins_code=i["fixmedins_code"], name=i["name"], level=int(i["level"]),
                    kind=InstitutionKind.HOSPITAL, designated=bool(i["designated"]), region=version.region)
        for i in doc["institutions"]
    ])
    years = sorted({local(v["setl_time"]).year for v in doc["visits"]}) or [version.effective_from.year]
    for p in doc["persons"]:
        person = Person.objects.create(psn_no=p["psn_no"], certno=p.get("certno") or None, name=p["name"],
                                       gender=p["gender"], birth_date=p["birth_date"])
        Enrollment.objects.create(
            person=person, insutype=p["insutype"], psn_type=p["psn_type"], enrolled_from=p["enrolled_from"],
            enrolled_to=p.get("enrolled_to"), paid_through=p.get("paid_through") or "",
            assistance_category=p.get("assistance_category") or "",
        )
        # the project's layers (docs/benefit-layers.md "Case files"): parallel enrollments (their arrears are the
        # basic one's), the employer's wage (in force over the whole file)
        for e in p.get("parallel") or []:
            Enrollment.objects.create(
                person=person, insutype=e["insutype"], psn_type=p["psn_type"], enrolled_from=e["enrolled_from"],
                enrolled_to=e.get("enrolled_to"), paid_through=p.get("paid_through") or "")
        if p.get("employer_wage") is not None:
            EmployerWage.objects.create(person=person, avg_monthly_wage=p["employer_wage"],
                                        effective_from=CASE_WAGE_FROM)
        PersonalAccount.objects.create(person=person, balance=p.get("acct_balance") or 0)
        Accumulator.objects.bulk_create([
            Accumulator(person=person, year=r["year"], kind=r["kind"], key=r["key"],
                        amount=accumulator_value(r["kind"], r["amount"]))
            for r in state_from_ytd(p["psn_no"], years[0], p.get("ytd") or {})
        ])


# a case file's employer wage has no date: in force from the first day the platform accepts
CASE_WAGE_FROM = dt.date(1901, 1, 1)


CASE_RUNNER = "case-runner"  # the (inactive) user a case file's qualifications are imported by


def load_qualifications(doc: dict) -> None:
    """The 门慢特 facts of a case file (docs/benefit-layers.md "Case files"): the pack's disease list, and each
    person's approved qualifications, imported as carried over from the file (insurance.chronic_services)."""
    diseases = ((doc["policy"].get("chronic") or {}).get("diseases")) or []
    held = [(p["psn_no"], q) for p in doc["persons"] for q in p.get("qualifications") or []]
    if not held:
        return
    import_chronic_diseases(diseases)
    runner, _created = get_user_model().objects.get_or_create(username=CASE_RUNNER, defaults={"is_active": False})
    for psn_no, q in held:
        code = q.get("fixmedins_code")
        import_qualification(
            person=Person.objects.get(psn_no=psn_no), disease=ChronicDisease.objects.get(code=q["disease"]),
            valid_from=dt.date.fromisoformat(q["valid_from"]),
            valid_to=dt.date.fromisoformat(q["valid_to"]) if q.get("valid_to") else None,
            institution=Institution.objects.get(fixmedins_code=code) if code else None, user=runner,
            source=str(doc.get("title") or "case file"))


def run_case(doc: dict) -> CaseResult:
    """Load a case into the current (empty) database, settle it, compare. Raises CaseFormatError."""
    validate_case(doc)
    load_reference_data(doc)
    load_qualifications(doc)
    institutions = {i.fixmedins_code: i for i in Institution.objects.all()}
    order = sorted(doc["visits"], key=lambda v: (local(v["setl_time"]), v["mdtrt_id"]))
    visits = {}
    for v in doc["visits"]:
        visit = register_visit(institution=institutions[v["fixmedins_code"]], psn_no=v["psn_no"],
                               med_type=v["med_type"], begntime=local(v["begntime"]), mdtrt_id=v["mdtrt_id"],
                               dise_codg=v.get("dise_codg") or "", matn_type=v.get("matn_type") or "")
        upload_fee_lines(visit, v["lines"], source="case")
        if v.get("endtime"):
            visit = discharge_visit(visit, endtime=local(v["endtime"]))
        visits[v["mdtrt_id"]] = visit
    result = CaseResult(doc.get("title", ""), [v["mdtrt_id"] for v in order])
    for v in order:
        result.settlements[v["mdtrt_id"]] = settle_visit(visits[v["mdtrt_id"]], setl_time=local(v["setl_time"]),
                                                         reason="case run")
    settlements, lines = stored_frames(list(result.settlements.values()))
    result.differences = compare(doc["expected"], settlements, lines)
    return result


def _fen(value) -> int:
    return int(value * 100)


def stored_frames(settlements: list[Settlement]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What was stored, as the fen frames the engine's compare() reads."""
    rows = [{"mdtrt_id": s.visit.mdtrt_id, "ineligible_reason": s.ineligible_reason or None,
             **{f: _fen(getattr(s, f)) for f in (*SETL_FIELDS, *LAYER_COLUMNS)}}
            for s in Settlement.objects.select_related("visit").filter(
                pk__in=[s.pk for s in settlements], kind=SettlementKind.SETTLEMENT)]
    line_rows = [{"mdtrt_id": sl.settlement.visit.mdtrt_id, "feedetl_sn": sl.feedetl_sn,
                  "fulamt_ownpay_amt": _fen(sl.fulamt_ownpay_amt), "overlmt_selfpay": _fen(sl.overlmt_selfpay),
                  "preselfpay_amt": _fen(sl.preselfpay_amt), "inscp_scp_amt": _fen(sl.inscp_scp_amt),
                  "reason": sl.reason or None}
                 for sl in SettlementLine.objects.select_related("settlement__visit").filter(settlement__in=settlements)]
    return pd.DataFrame(rows, columns=["mdtrt_id", "ineligible_reason", *SETL_FIELDS, *LAYER_COLUMNS]), pd.DataFrame(
        line_rows, columns=["mdtrt_id", "feedetl_sn", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
                            "inscp_scp_amt", "reason"])


__all__ = ["CaseFormatError", "CaseResult", "run_case"]
