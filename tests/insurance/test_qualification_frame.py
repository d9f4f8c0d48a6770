"""The approved qualifications as the engine's frame: the columns facts.chronic_flags reads, validity by day,
the designated institution, other persons' and undecided applications left out."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from insurance import chronic_selectors as selectors
from insurance.chronic_services import apply_for_qualification, decide_qualification, import_chronic_diseases
from policy_rules.engine.facts import QUALIFICATION_COLUMNS, chronic_flags
from tests.insurance.conftest import pdf


def test_the_columns_are_the_engines():
    assert selectors.QUALIFICATION_FRAME_COLUMNS == QUALIFICATION_COLUMNS


def test_no_qualification_gives_the_empty_frame_of_the_general_path(chronic):
    apply_for_qualification(person=chronic.other, disease=chronic.diabetes, user=chronic.clerk_a, uploads=[pdf()])
    # the person without any qualification (one statement), the other with an undecided one (two): the same frame
    for persons in ([chronic.person.pk], [chronic.other.pk]):
        frame = selectors.qualification_frame(persons)
        pd.testing.assert_frame_equal(frame, pd.DataFrame({
            "person": pd.Series([], dtype="int64"), "disease": pd.Series([], dtype=object),
            "valid_from": pd.to_datetime(pd.Series([], dtype=object)),
            "valid_to": pd.to_datetime(pd.Series([], dtype=object)),
            "institution": pd.Series([], dtype=object)}, columns=QUALIFICATION_COLUMNS))


def test_validity_and_institution_through_chronic_flags(chronic):
    diabetes = apply_for_qualification(person=chronic.person, disease=chronic.diabetes, user=chronic.clerk_a,
                                       uploads=[pdf()])
    decide_qualification(diabetes, user=chronic.clerk_b, approved=True, valid_from=chronic.day,
                         valid_to=dt.date(2026, 12, 31))
    dialysis = apply_for_qualification(person=chronic.person, disease=chronic.dialysis, user=chronic.clerk_a,
                                       uploads=[pdf()], designated_institution=chronic.h2)
    decide_qualification(dialysis, user=chronic.clerk_b, approved=True, valid_from=chronic.day)
    apply_for_qualification(person=chronic.other, disease=chronic.diabetes, user=chronic.clerk_a, uploads=[pdf()])
    frame = selectors.qualification_frame([chronic.person.pk, chronic.other.pk])
    assert list(frame.columns) == QUALIFICATION_COLUMNS
    assert sorted(zip(frame["disease"], frame["institution"], strict=True)) == [
        ("M03900", ""), ("M07800", str(chronic.h2.pk))]
    p, h2, h3 = chronic.person.pk, str(chronic.h2.pk), str(chronic.h3.pk)
    visits = pd.DataFrame({
        "person": [p, p, p, p, p, chronic.other.pk],
        "begin_date": [dt.date(2026, 1, 9), dt.date(2026, 1, 10), dt.date(2026, 12, 31), dt.date(2027, 1, 1),
                       dt.date(2026, 3, 1), dt.date(2026, 3, 1)],
        "dise_codg": ["M03900", "M03900", "M03900", "M03900", "M07800", "M03900"],
        "institution": [h3, h3, h3, h3, h3, h3]})
    qualified, at_institution = chronic_flags(visits, frame)
    assert qualified.tolist() == [False, True, True, False, True, False]
    assert at_institution.tolist() == [False, True, True, False, False, False]
    assert chronic_flags(visits.assign(institution=h2), frame)[1].tolist()[4] is True


def test_no_persons_no_rows(chronic):
    assert selectors.qualification_frame([]).empty


def test_the_disease_list_is_data(chronic):
    assert import_chronic_diseases([{"code": "M99999", "name": "示例病种", "validity_months": 6}]) == 1
    assert selectors.diseases().filter(code="M99999", validity_months=6).exists()
