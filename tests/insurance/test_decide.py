"""Deciding a 门慢特 application: approve with validity (default: the disease's months less a day) and the
designated institution, or refuse with a reason; four eyes (never the applicant); decided once; append-only."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import InternalError, transaction

from insurance import chronic_selectors as selectors
from insurance.chronic_services import apply_for_qualification, decide_qualification
from insurance.models import ChronicDecision, DecisionOutcome, QualificationState
from tests.insurance.conftest import pdf


def _apply(w, disease=None, **kw):
    return apply_for_qualification(person=w.person, disease=disease or w.diabetes, user=w.clerk_a,
                                   uploads=[pdf()], **kw)


def test_approved_with_the_diseases_validity(chronic):
    q = _apply(chronic)
    d = decide_qualification(q, user=chronic.clerk_b, approved=True, valid_from=chronic.day)
    assert (d.outcome, d.valid_from, d.valid_to, d.decided_by) == (
        DecisionOutcome.APPROVED, dt.date(2026, 1, 10), dt.date(2028, 1, 9), chronic.clerk_b)
    got = selectors.qualifications_of(chronic.person).get()
    assert (got.state, got.approved_from, got.valid_to) == (QualificationState.APPROVED, chronic.day, dt.date(2028, 1, 9))
    assert not selectors.pending().exists()


def test_approved_at_the_chosen_institution(chronic):
    q = _apply(chronic, chronic.dialysis, designated_institution=chronic.h2)
    d = decide_qualification(q, user=chronic.clerk_b, approved=True, valid_from=chronic.day,
                             valid_to=dt.date(2026, 12, 31))
    assert d.institution == chronic.h2 and d.valid_to == dt.date(2026, 12, 31)


def test_refused_with_a_reason(chronic):
    q = _apply(chronic)
    with pytest.raises(ValidationError) as exc:
        decide_qualification(q, user=chronic.clerk_b, approved=False, reason="  ")
    assert list(exc.value.message_dict) == ["reason"]
    decide_qualification(q, user=chronic.clerk_b, approved=False, reason="血糖记录不足三个月")
    assert selectors.qualifications_of(chronic.person).get().state == QualificationState.REFUSED
    assert selectors.qualification_frame([chronic.person.pk]).empty


def test_four_eyes_the_applicant_may_not_decide(chronic):
    q = _apply(chronic)
    with pytest.raises(PermissionDenied):
        decide_qualification(q, user=chronic.clerk_a, approved=True, valid_from=chronic.day)
    assert not ChronicDecision.objects.exists()


def test_decided_once(chronic):
    q = _apply(chronic)
    decide_qualification(q, user=chronic.clerk_b, approved=False, reason="材料不全")
    with pytest.raises(ValidationError) as exc:
        decide_qualification(q, user=chronic.clerk_b, approved=True, valid_from=chronic.day)
    assert list(exc.value.message_dict) == ["outcome"]
    assert ChronicDecision.objects.count() == 1


@pytest.mark.parametrize("kwargs,field", [
    ({}, "valid_from"),
    ({"valid_from": dt.date(2026, 5, 1), "valid_to": dt.date(2026, 4, 30)}, "valid_to"),
    ({"valid_from": dt.date(1800, 1, 1)}, "valid_from"),
])
def test_bad_validity_is_refused_naming_the_field(chronic, kwargs, field):
    q = _apply(chronic)
    with pytest.raises(ValidationError) as exc:
        decide_qualification(q, user=chronic.clerk_b, approved=True, **kwargs)
    assert field in exc.value.message_dict
    assert not ChronicDecision.objects.exists()


def test_a_decision_is_append_only(chronic):
    d = decide_qualification(_apply(chronic), user=chronic.clerk_b, approved=True, valid_from=chronic.day)
    with pytest.raises(InternalError), transaction.atomic():
        ChronicDecision.objects.filter(pk=d.pk).update(valid_to=dt.date(2030, 1, 1))
    with pytest.raises(InternalError), transaction.atomic():
        ChronicDecision.objects.filter(pk=d.pk).delete()
