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

from claims.models import Accumulator, FeeLine, FeeLineStatus, Visit
from insurance.models import Enrollment, PersonalAccount
from policy_rules.engine import PolicyPack, parse_pack
from policy_rules.engine.frames import catalog_frame, lines_frame, persons_frame, state_frame, visits_frame
from policy_rules.models import CatalogItem, PolicyVersion

_PACKS: dict[tuple[int, str], PolicyPack] = {}


# the catalog columns the engine and the audit read (catalog_frame ignores the name)
CATALOG_FIELDS = ("med_list_codg", "name", "chrg_lv", "selfpay_prop", "price_limit", "restrict_gender",
                  "restrict_min_age", "restrict_max_age", "restrict_min_level", "restrict_med_types",
                  "effective_from", "effective_to")


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


LINE_FIELDS = ("visit_id", "pk", "visit__mdtrt_id", "feedetl_sn", "med_list_codg", "cnt", "pric",
               "det_item_fee_sumamt", "fee_ocur_time")


def active_lines(visits: list[Visit]) -> list[dict]:
    """The visits' active lines in the model's order (as the audit reads them), each a dict of LINE_FIELDS
    plus mdtrt_id: read once for the engine (engine_line_rows), the audit and the settlement lines."""
    return [dict(zip(LINE_FIELDS, row, strict=True), mdtrt_id=row[2]) for row in FeeLine.objects.filter(
        visit__in=visits, status=FeeLineStatus.ACTIVE).values_list(*LINE_FIELDS)]


def engine_line_rows(rows: list[dict]) -> list[dict]:
    """active_lines() in the order load_frames reads them (by visit, then as stored)."""
    return sorted(rows, key=lambda r: (r["visit_id"], r["pk"]))


def load_frames(visits: list[Visit], setl_times: dict[int, dt.datetime], *, with_state: bool = True,
                line_rows: list[dict] | None = None) -> dict:
    """The engine's inputs for these visits (their active lines, persons, catalog, policies, state).

    line_rows, when given, are the visits' active lines already in hand (dicts with mdtrt_id, feedetl_sn,
    med_list_codg, cnt, pric, det_item_fee_sumamt), so that they are not read again.
    The catalog rows read (with their names) are returned as "_catalog_items", for the audit."""
    visits = list(visits)
    if line_rows is None:
        line_rows = [
            {"mdtrt_id": m, "feedetl_sn": sn, "med_list_codg": code, "cnt": cnt, "pric": pric,
             "det_item_fee_sumamt": amount}
            for m, sn, code, cnt, pric, amount in FeeLine.objects.filter(visit__in=visits, status=FeeLineStatus.ACTIVE)
            .order_by("visit_id", "pk")
            .values_list("visit__mdtrt_id", "feedetl_sn", "med_list_codg", "cnt", "pric", "det_item_fee_sumamt")
        ]
    persons = {v.person_id: v.person for v in visits}
    balances = dict(PersonalAccount.objects.filter(person__in=persons).values_list("person_id", "balance"))
    person_rows = [
        {"psn_no": p.psn_no, "gender": p.gender, "birth_date": p.birth_date, "acct_balance": balances.get(pid, 0)}
        for pid, p in persons.items()
    ]
    codes = {r["med_list_codg"] for r in line_rows}
    catalog_items = list(CatalogItem.objects.filter(med_list_codg__in=codes).values(*CATALOG_FIELDS))
    catalog = catalog_frame(catalog_items)
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
        "_catalog_items": catalog_items,
    }


def engine_kwargs(frames: dict) -> dict:
    return {k: v for k, v in frames.items() if not k.startswith("_")}


def line_split_records(split: pd.DataFrame) -> dict[tuple[str, str], dict]:
    """Engine line split (fen) → {(mdtrt_id, feedetl_sn): Decimal fields as stored and answered}."""
    columns = [split[c].tolist() for c in ("mdtrt_id", "feedetl_sn", "fulamt_ownpay_amt", "overlmt_selfpay",
                                           "preselfpay_amt", "inscp_scp_amt", "chrgitm_lv", "selfpay_prop_e6",
                                           "reason")]
    yuan: dict[int, Decimal] = {}  # the same few amounts recur on many lines: each converted once

    def money(fen: int) -> Decimal:
        try:
            return yuan[fen]
        except KeyError:
            value = yuan[fen] = fen_to_decimal(fen)
            return value

    out = {}
    for mdtrt_id, sn, fulamt, overlmt, preself, inscp, chrg, prop_e6, reason in zip(*columns, strict=True):
        out[(mdtrt_id, sn)] = {
            "fulamt_ownpay_amt": money(fulamt),
            "overlmt_selfpay": money(overlmt),
            "preselfpay_amt": money(preself),
            "inscp_scp_amt": money(inscp),
            "chrgitm_lv": chrg or "",
            "selfpay_prop": None if prop_e6 < 0 else Decimal(int(prop_e6)).scaleb(-6).normalize(),
            "reason": reason or "",
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
