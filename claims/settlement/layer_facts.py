"""The facts of the project's benefit layers on each visit (docs/benefit-layers.md), one contract for both readers.

The engine takes them as optional visit columns (policy_rules.engine.frames.OPTIONAL_VISIT_COLUMNS): the
parallel insutypes in force at admission (320, 340, 350, 510 beside the enrollment the visit is settled under),
the visit's 门慢特 disease and delivery kind, and the employer's average monthly wage. The request's reader
(claims.settlement.loading) reads the rows with the ORM, the night's (claims.batch.reader) with COPY; both hand
them to `layer_columns`, which applies the engine's rules (policy_rules.engine.facts), so that the two paths
give the same columns. Neither reads anything when no pack in force has a layer: a region without them
settles exactly as before.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from django.utils import timezone

from insurance.models import PARALLEL_INSUTYPES, EmployerWage, Enrollment
from policy_rules.engine.facts import (
    PARALLEL_COLUMNS,
    WAGE_COLUMNS,
    parallel_in_force,
    wage_in_force,
    without_own,
)

# the pack keys whose layers read these facts (policy_rules.engine.schemes)
LAYER_KEYS = ("civil_servant", "veterans", "maternity", "chronic")
# what layer_columns reads of each visit
VISIT_FACT_COLUMNS = ("person", "begin_date", "insutype", "dise_codg", "matn_type")


def uses_layers(packs) -> bool:
    """Whether any of these policy packs has one of the project's layers."""
    return any(getattr(p, key, None) is not None for p in packs for key in LAYER_KEYS)


def parallel_frame(rows) -> pd.DataFrame:
    """(person, insutype, enrolled_from, enrolled_to) rows of enrollments → PARALLEL_COLUMNS, the parallel
    insutypes only (a basic enrollment is the visit's, chosen by frames.enrollments_in_force)."""
    frame = pd.DataFrame(list(rows), columns=PARALLEL_COLUMNS)
    frame["insutype"] = frame["insutype"].astype(str)
    return frame[frame["insutype"].isin(PARALLEL_INSUTYPES)].reset_index(drop=True)


def wage_frame(rows) -> pd.DataFrame:
    """(person, effective_from, effective_to, wage in fen) rows → WAGE_COLUMNS."""
    frame = pd.DataFrame(list(rows), columns=WAGE_COLUMNS)
    frame["wage_fen"] = frame["wage_fen"].astype(np.int64)
    return frame


def layer_columns(visits: pd.DataFrame, parallel: pd.DataFrame, wages: pd.DataFrame) -> dict[str, np.ndarray]:
    """The engine's optional visit columns of the layers for each visit (VISIT_FACT_COLUMNS: person, day of
    admission, the insutype it is settled under, dise_codg, matn_type), from its person's parallel enrollments
    (parallel_frame) and employer wages (wage_frame)."""
    insutype = visits["insutype"].fillna("").astype(str).to_numpy(dtype=object)
    return {
        "parallel": without_own(parallel_in_force(visits, parallel), insutype),
        "dise_codg": visits["dise_codg"].fillna("").astype(str).to_numpy(dtype=object),
        "matn_type": visits["matn_type"].fillna("").astype(str).to_numpy(dtype=object),
        "employer_wage_fen": wage_in_force(visits, wages),
    }


def read_layer_columns(visits: list, insutypes: list[str]) -> dict[str, np.ndarray]:
    """layer_columns of these visits (claims.Visit) settled under these insutypes, read with the ORM (the
    request's reader; the night reads the same rows with COPY)."""
    persons = {v.person_id for v in visits}
    parallel = Enrollment.objects.filter(person_id__in=persons, insutype__in=PARALLEL_INSUTYPES).values_list(
        "person_id", "insutype", "enrolled_from", "enrolled_to")
    wages = [(person, start, end, int(wage.scaleb(2))) for person, start, end, wage in
             EmployerWage.objects.filter(person_id__in=persons).values_list(
                 "person_id", "effective_from", "effective_to", "avg_monthly_wage")]
    frame = pd.DataFrame({
        "person": np.array([v.person_id for v in visits], dtype=np.int64),
        "begin_date": [timezone.localtime(v.begntime).date() for v in visits],
        "insutype": np.array(insutypes, dtype=object),
        "dise_codg": np.array([v.dise_codg for v in visits], dtype=object),
        "matn_type": np.array([v.matn_type for v in visits], dtype=object),
    })
    return layer_columns(frame, parallel_frame(parallel), wage_frame(wages))
