"""Per-disease capitation of 门慢特 (门慢特按人头, docs/benefit-layers.md §C): for month m, an institution of level ≤
the pack's `max_level` is owed heads × `monthly_rate`, heads being the persons holding an approved qualification
for the disease that names the institution and is valid on the first day of m. The pack is the one in force in
the institution's region on that day. The amount joins the month's capitation payment (fund_budget.capitation),
so it is stated, disbursed and reconciled as capitation is.

The visits those heads make for that disease at that institution (a med type of `chronic.med_types`, `dise_codg`
the disease) are still settled, but the month's statement leaves their fund amount to the capitation, as for
a capitation contract's covered medical type: a visit is covered when its person was one of the institution's
heads for the disease in the month the visit began (qualification valid on that month's first day)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import reduce
from operator import or_

import pandas as pd
from django.db.models import DateField, Exists, OuterRef, Q
from django.db.models.functions import TruncMonth

from claims.models import Visit
from insurance.chronic_selectors import with_state
from insurance.models import Institution
from insurance.qualifications import ChronicQualification
from policy_rules.engine.pack import parse_pack
from policy_rules.models import PolicyVersion
from policy_rules.services import policy_in_force

from .common import money


def heads(day: dt.date) -> pd.DataFrame:
    """(institution_id, disease, heads): distinct persons per designated institution and disease whose approved
    qualification (ended by a revocation where there is one) is valid on `day`."""
    rows = set(with_state(ChronicQualification.objects.all())
               .filter(approved_from__lte=day, valid_to__gte=day, approved_institution__isnull=False)
               .values_list("approved_institution", "disease__code", "person_id"))
    frame = pd.DataFrame(sorted(rows), columns=["institution_id", "disease", "person_id"])
    return frame.groupby(["institution_id", "disease"], as_index=False)["person_id"].nunique().rename(
        columns={"person_id": "heads"})


def monthly_amounts(month: dt.date) -> pd.DataFrame:
    """institution_id → the month's per-disease capitation (Σ over diseases of heads × monthly rate, to the fen)."""
    day = month.replace(day=1)
    counted = heads(day)
    out: dict[int, Decimal] = {}
    if not counted.empty:
        places = {row["id"]: row for row in Institution.objects.filter(
            pk__in=sorted(set(counted["institution_id"]))).values("id", "level", "region")}
        rates: dict[str, dict[str, tuple[int, Decimal]]] = {}
        for region in sorted({p["region"] for p in places.values()}):
            version = policy_in_force(region, day)
            chronic = parse_pack(version.document).chronic if version is not None else None
            rates[region] = {c.disease: (c.max_level, Decimal(c.monthly_rate_fen) / 100)
                             for c in (chronic.capitation if chronic is not None else ())}
        for institution_id, disease, n in counted.itertuples(index=False):
            place = places[institution_id]
            rule = rates[place["region"]].get(disease)
            if rule is not None and place["level"] <= rule[0]:
                out[institution_id] = out.get(institution_id, Decimal(0)) + money(n * rule[1])
    return pd.DataFrame(sorted(out.items()), columns=["institution_id", "capitation"])


def covered_condition(first_year: int, last_year: int, med_types: set[str] | None = None) -> Q | None:
    """Settlements paid by a per-disease capitation, for the packs in force in first_year..last_year (see the
    module's docstring); with med_types, only visits of those types. None when no pack has a capitation."""
    versions = PolicyVersion.objects.active().filter(effective_from__lte=dt.date(last_year, 12, 31)).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=dt.date(first_year, 1, 1))).order_by("effective_from", "pk")
    parts, every = [], set()
    for version in versions:
        chronic = parse_pack(version.document).chronic
        if chronic is None or not chronic.capitation:
            continue
        kinds = sorted(chronic.med_types if med_types is None else chronic.med_types & set(med_types))
        for rule in chronic.capitation:
            places = list(Institution.objects.filter(region=version.region, level__lte=rule.max_level)
                          .values_list("pk", flat=True))
            if not kinds or not places:
                continue
            heads_then = with_state(ChronicQualification.objects.filter(
                person_id=OuterRef("person_id"), disease__code=rule.disease)).filter(
                approved_institution=OuterRef("institution_id"), approved_from__lte=OuterRef("begin_month"),
                valid_to__gte=OuterRef("begin_month"))
            visits = Visit.objects.filter(institution_id__in=places, med_type__in=kinds, dise_codg=rule.disease).annotate(
                begin_month=TruncMonth("begntime", output_field=DateField())).filter(
                begin_month__gte=version.effective_from)
            if version.effective_to is not None:
                visits = visits.filter(begin_month__lte=version.effective_to)
            parts.append(Q(institution_id__in=places, visit_id__in=visits.filter(Exists(heads_then)).values("pk")))
            every.update(places)
    if not parts:
        return None
    return Q(institution_id__in=sorted(every)) & reduce(or_, parts)
