"""Facts about persons read as of a visit's admission, for the project's layers (docs/benefit-layers.md):
the parallel enrollments in force (320, 350, 510 ...) and the 门慢特 qualifications.

One statement of each rule: the case runner and the platform's readers (a request's and the night's) all
call these, as they call frames.enrollments_in_force for the basic enrollment. A person is any hashable
key (psn_no in a case file, person_id in the database); days are dates or datetime64.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

PARALLEL_COLUMNS = ["person", "insutype", "enrolled_from", "enrolled_to"]
QUALIFICATION_COLUMNS = ["person", "disease", "valid_from", "valid_to", "institution"]


def _day(values) -> np.ndarray:
    return pd.to_datetime(pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values
                          ).to_numpy("datetime64[D]")


def _pairs(visits: pd.DataFrame, facts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(visit position, fact position) for every fact of the visit's person."""
    v = pd.DataFrame({"person": visits["person"].to_numpy(), "visit": np.arange(len(visits))})
    f = pd.DataFrame({"person": facts["person"].to_numpy(), "fact": np.arange(len(facts))})
    m = v.merge(f, on="person", how="inner")
    return m["visit"].to_numpy(np.int64), m["fact"].to_numpy(np.int64)


def parallel_in_force(visits: pd.DataFrame, parallel: pd.DataFrame) -> np.ndarray:
    """For each visit (columns person, begin_date), the insutypes of the person's parallel enrollments
    (PARALLEL_COLUMNS; enrolled_to missing = open) covering the day of admission, sorted and comma-joined
    ("320,510"); "" for none."""
    out = np.full(len(visits), "", dtype=object)
    if not len(visits) or not len(parallel):
        return out
    vi, fi = _pairs(visits, parallel)
    day = _day(visits["begin_date"])[vi]
    start, end = _day(parallel["enrolled_from"])[fi], _day(parallel["enrolled_to"])[fi]
    ok = (start <= day) & (np.isnat(end) | (end >= day))
    codes = parallel["insutype"].astype(str).to_numpy(dtype=object)[fi]
    found: dict[int, set[str]] = {}
    for visit, code in zip(vi[ok].tolist(), codes[ok].tolist(), strict=True):
        found.setdefault(visit, set()).add(code)
    for visit, held in found.items():
        out[visit] = ",".join(sorted(held))
    return out


def holds_qualification(visits: pd.DataFrame, qualifications: pd.DataFrame) -> np.ndarray:
    """For each visit (columns person, begin_date): whether the person holds an approved qualification for any
    门慢特 disease valid on the day of admission (the long-prescription audit rule's test, §C)."""
    out = np.zeros(len(visits), dtype=bool)
    if not len(visits) or not len(qualifications):
        return out
    vi, fi = _pairs(visits, qualifications)
    day = _day(visits["begin_date"])[vi]
    start, end = _day(qualifications["valid_from"])[fi], _day(qualifications["valid_to"])[fi]
    out[vi[(start <= day) & (np.isnat(end) | (end >= day))]] = True
    return out


def chronic_flags(visits: pd.DataFrame, qualifications: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """For each visit (columns person, begin_date, dise_codg, institution): whether the person holds an
    approved qualification (QUALIFICATION_COLUMNS; only approved ones are handed in) for the visit's disease
    valid on the day of admission, and whether one of those names the visit's institution or none."""
    n = len(visits)
    qualified, at_institution = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    if not n or not len(qualifications):
        return qualified, at_institution
    vi, fi = _pairs(visits, qualifications)
    day = _day(visits["begin_date"])[vi]
    start, end = _day(qualifications["valid_from"])[fi], _day(qualifications["valid_to"])[fi]
    disease = visits["dise_codg"].fillna("").astype(str).to_numpy(dtype=object)[vi]
    ok = ((start <= day) & (np.isnat(end) | (end >= day))
          & (qualifications["disease"].astype(str).to_numpy(dtype=object)[fi] == disease) & (disease != ""))
    q_inst = qualifications["institution"].fillna("").astype(str).to_numpy(dtype=object)[fi]
    v_inst = visits["institution"].astype(str).to_numpy(dtype=object)[vi]
    qualified[vi[ok]] = True
    at_institution[vi[ok & ((q_inst == "") | (q_inst == v_inst))]] = True
    return qualified, at_institution


WAGE_COLUMNS = ["person", "effective_from", "effective_to", "wage_fen"]


def wage_in_force(visits: pd.DataFrame, wages: pd.DataFrame) -> np.ndarray:
    """For each visit (columns person, begin_date), the employer's average monthly wage in fen (WAGE_COLUMNS;
    effective_to missing = open) in force on the day of admission, the latest start first; -1 where none is
    known (the allowance is then 0.00, applied for separately: docs/benefit-layers.md §M)."""
    out = np.full(len(visits), -1, dtype=np.int64)
    if not len(visits) or not len(wages):
        return out
    vi, fi = _pairs(visits, wages)
    day = _day(visits["begin_date"])[vi]
    start, end = _day(wages["effective_from"])[fi], _day(wages["effective_to"])[fi]
    ok = (start <= day) & (np.isnat(end) | (end >= day))
    vi, fi, start = vi[ok], fi[ok], start[ok]
    order = np.lexsort((start.astype(np.int64), vi))  # per visit, the latest start last
    vo, fo = vi[order], fi[order]
    last = np.append(vo[1:] != vo[:-1], True) if len(vo) else np.zeros(0, bool)
    out[vo[last]] = wages["wage_fen"].to_numpy(np.int64)[fo[last]]
    return out


def without_own(parallel: np.ndarray, insutype: np.ndarray) -> np.ndarray:
    """parallel_in_force's lists less each visit's own insutype (a veteran settled under their 340 or 350
    enrollment, no basic one in force: that enrollment is the visit's, not a parallel one)."""
    out = np.asarray(parallel, dtype=object).copy()
    for i, (held, own) in enumerate(zip(out.tolist(), np.asarray(insutype, dtype=object).tolist(), strict=True)):
        if held and own and own in held.split(","):
            out[i] = ",".join(c for c in held.split(",") if c != own)
    return out
