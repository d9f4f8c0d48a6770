"""frames.enrollments_in_force: the one rule for the enrollment a visit is settled under (both readers call it)."""
import datetime as dt

import pandas as pd

from policy_rules.engine.frames import ENROLLMENT_COLUMNS, enrollments_in_force

ENROLLMENTS = pd.DataFrame([
    (1, 10, "310", "in_service", dt.date(2020, 1, 1), None, "2026-12", ""),
    (2, 10, "390", "resident", dt.date(2025, 1, 1), dt.date(2025, 12, 31), None, "low_income"),
    (3, 10, "310", "retiree", dt.date(2025, 1, 1), None, "2026-01", ""),
    (4, 20, "390", "resident", dt.date(2026, 1, 1), None, None, ""),
], columns=ENROLLMENT_COLUMNS)


def chosen(*visits):
    frame = pd.DataFrame(visits, columns=["person_id", "begin_date", "enrollment_id"])
    return enrollments_in_force(frame, ENROLLMENTS)


def test_latest_start_then_latest_id_among_those_covering_the_day():
    out = chosen((10, dt.date(2025, 6, 1), -1), (10, dt.date(2026, 6, 1), -1), (10, dt.date(2022, 6, 1), -1))
    assert out["psn_type"].tolist() == ["retiree", "retiree", "in_service"]


def test_the_enrollment_registered_with_the_visit_wins_whatever_its_dates():
    out = chosen((10, dt.date(2019, 1, 1), 2))
    assert out.loc[0, "insutype"] == "390" and out.loc[0, "assistance_category"] == "low_income"


def test_none_in_force_leaves_the_visit_unenrolled():
    out = chosen((20, dt.date(2025, 6, 1), -1), (30, dt.date(2026, 1, 1), -1))
    assert out["insutype"].tolist() == ["", ""]
    assert out["enrolled_from"].isna().all() and out["paid_through"].isna().all()


def test_bounds_are_inclusive():
    out = chosen((10, dt.date(2025, 12, 31), -1), (20, dt.date(2026, 1, 1), -1))
    assert out["psn_type"].tolist() == ["retiree", "resident"]
