"""Per-disease capitation of 门慢特 (门慢特按人头, docs/benefit-layers.md §C): for month m, an institution of level ≤
the pack's `max_level` is owed heads × `monthly_rate`, heads being the persons holding an approved qualification
for the disease that names the institution and is valid on the first day of m. The pack is the one in force in
the institution's region on that day. The amount joins the month's capitation payment (fund_budget.capitation),
so it is stated, disbursed and reconciled as capitation is."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd

from insurance.chronic_selectors import with_state
from insurance.models import Institution
from insurance.qualifications import ChronicQualification
from policy_rules.engine.pack import parse_pack
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
