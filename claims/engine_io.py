"""Between the database and the engine: load the frames the engine needs, store what it returns.

The engine (policy_rules.engine) knows nothing of Django. This module is the only place that turns
model rows into its frames and its frames back into rows, for one visit and for many alike.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pandas as pd
from django.utils import timezone

from insurance.models import Enrollment, PersonalAccount
from policy_rules.engine import PolicyPack, parse_pack
from policy_rules.engine.frames import catalog_frame, lines_frame, persons_frame, state_frame, visits_frame
from policy_rules.models import CatalogItem, PolicyVersion

from .models import Accumulator, FeeLine, FeeLineStatus, Visit

_PACKS: dict[tuple[int, str], PolicyPack] = {}


def fen_to_decimal(fen) -> Decimal:
    return Decimal(int(fen)).scaleb(-2)


def local_naive(value: dt.datetime | None) -> dt.datetime | None:
    """Aware datetime → naive local wall time (the engine reasons in the bureau's local time)."""
    if value is None:
        return None
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value


def active_policies(regions) -> tuple[list[PolicyVersion], list[PolicyPack]]:
    """The active policy versions of the given regions, parsed once and cached by their content."""
    versions = list(PolicyVersion.objects.active().filter(region__in=set(regions)).order_by("effective_from"))
    packs = []
    for v in versions:
        key = (v.pk, v.code)
        if key not in _PACKS:
            _PACKS[key] = parse_pack(v.document)
        packs.append(_PACKS[key])
    return versions, packs


def enrollment_for(visit: Visit) -> Enrollment | None:
    if visit.enrollment_id:
        return visit.enrollment
    return Enrollment.objects.in_force(visit.person, timezone.localtime(visit.begntime).date()).first()


def visit_record(visit: Visit, setl_time: dt.datetime) -> dict:
    enrollment = enrollment_for(visit)
    inst = visit.institution
    return {
        "mdtrt_id": visit.mdtrt_id, "psn_no": visit.person.psn_no, "med_type": visit.med_type,
        "begntime": local_naive(visit.begntime), "setl_time": local_naive(setl_time),
        "inst_level": inst.level, "inst_designated": inst.designated,
        "insutype": enrollment.insutype if enrollment else "",
        "psn_type": enrollment.psn_type if enrollment else "",
        # without an enrollment in force the engine finds the visit NOT_ENROLLED
        "enrolled_from": enrollment.enrolled_from if enrollment else None,
        "enrolled_to": enrollment.enrolled_to if enrollment else None,
        "paid_through": enrollment.paid_through if enrollment else None,
        "assistance_category": enrollment.assistance_category if enrollment else "",
    }


def load_frames(visits: list[Visit], setl_times: dict[int, dt.datetime], *, with_state: bool = True) -> dict:
    """The engine's inputs for these visits (their active lines, persons, catalog, policies, state)."""
    visits = list(visits)
    line_rows = list(
        FeeLine.objects.filter(visit__in=visits, status=FeeLineStatus.ACTIVE)
        .order_by("visit_id", "pk")
        .values("visit__mdtrt_id", "feedetl_sn", "med_list_codg", "cnt", "pric", "det_item_fee_sumamt")
    )
    for r in line_rows:
        r["mdtrt_id"] = r.pop("visit__mdtrt_id")
    persons = {v.person_id: v.person for v in visits}
    balances = dict(PersonalAccount.objects.filter(person__in=persons).values_list("person_id", "balance"))
    person_rows = [
        {"psn_no": p.psn_no, "gender": p.gender, "birth_date": p.birth_date, "acct_balance": balances.get(pid, 0)}
        for pid, p in persons.items()
    ]
    codes = {r["med_list_codg"] for r in line_rows}
    catalog = catalog_frame(
        CatalogItem.objects.filter(med_list_codg__in=codes).values(
            "med_list_codg", "chrg_lv", "selfpay_prop", "price_limit", "restrict_gender", "restrict_min_age",
            "restrict_max_age", "restrict_min_level", "restrict_med_types", "effective_from", "effective_to",
        )
    )
    versions, packs = active_policies({v.institution.region for v in visits})
    state_rows = []
    if with_state:
        years = {local_naive(t).year for t in setl_times.values()}
        state_rows = [
            {"psn_no": psn_no, "year": year, "kind": kind, "key": key,
             "amount": int(amount) if kind == "admissions" else int(amount * 100)}
            for psn_no, year, kind, key, amount in Accumulator.objects.filter(
                person__in=persons, year__in=years
            ).values_list("person__psn_no", "year", "kind", "key", "amount")
        ]
    return {
        "lines": lines_frame(line_rows),
        "visits": visits_frame([visit_record(v, setl_times[v.pk]) for v in visits]),
        "persons": persons_frame(person_rows),
        "catalog": catalog,
        "policies": packs,
        "state": state_frame(state_rows),
        "_versions": {p.code: v for p, v in zip(packs, versions, strict=True)},
    }


def engine_kwargs(frames: dict) -> dict:
    return {k: v for k, v in frames.items() if not k.startswith("_")}


def line_split_records(split: pd.DataFrame) -> dict[tuple[str, str], dict]:
    """Engine line split (fen) → {(mdtrt_id, feedetl_sn): Decimal fields as stored and answered}."""
    out = {}
    for row in split.itertuples(index=False):
        prop = None if row.selfpay_prop_e6 < 0 else Decimal(int(row.selfpay_prop_e6)).scaleb(-6).normalize()
        out[(row.mdtrt_id, row.feedetl_sn)] = {
            "fulamt_ownpay_amt": fen_to_decimal(row.fulamt_ownpay_amt),
            "overlmt_selfpay": fen_to_decimal(row.overlmt_selfpay),
            "preselfpay_amt": fen_to_decimal(row.preselfpay_amt),
            "inscp_scp_amt": fen_to_decimal(row.inscp_scp_amt),
            "chrgitm_lv": row.chrgitm_lv or "",
            "selfpay_prop": prop,
            "reason": row.reason or "",
        }
    return out


def group_deltas(deltas: pd.DataFrame) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for row in deltas.itertuples(index=False):
        out[row.mdtrt_id].append({"kind": row.kind, "key": row.key, "year": int(row.year), "delta": int(row.delta)})
    return out


def accumulator_value(kind: str, raw: int) -> Decimal:
    """Engine state value → stored Decimal (money in yuan; admissions as a whole count)."""
    return Decimal(int(raw)) if kind == "admissions" else fen_to_decimal(raw)
