"""Revoking a 门慢特 qualification: an appended decision that ends the validity on its day (never a delete)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from insurance import chronic_selectors as selectors
from insurance.chronic_services import apply_for_qualification, decide_qualification, revoke_qualification
from insurance.models import ChronicDecision, DecisionOutcome, QualificationState
from tests.insurance.conftest import pdf


def _approved(w):
    q = apply_for_qualification(person=w.person, disease=w.diabetes, user=w.clerk_a, uploads=[pdf()])
    decide_qualification(q, user=w.clerk_b, approved=True, valid_from=w.day)
    return q


def test_revocation_ends_the_validity_on_its_day(chronic):
    q = _approved(chronic)
    d = revoke_qualification(q, user=chronic.clerk_a, on=dt.date(2026, 6, 30), reason="复查已痊愈")
    assert d.outcome == DecisionOutcome.REVOKED
    got = selectors.qualifications_of(chronic.person).get()
    assert (got.state, got.approved_from, got.approved_to, got.valid_to) == (
        QualificationState.REVOKED, chronic.day, dt.date(2028, 1, 9), dt.date(2026, 6, 30))
    assert list(q.decisions.values_list("outcome", flat=True)) == ["approved", "revoked"]
    frame = selectors.qualification_frame([chronic.person.pk])
    assert frame["valid_to"].dt.date.tolist() == [dt.date(2026, 6, 30)]
    assert selectors.approved_in_force([chronic.person.pk], on=dt.date(2026, 7, 1)).count() == 0
    assert selectors.approved_in_force([chronic.person.pk], on=dt.date(2026, 6, 30)).count() == 1


def test_only_an_approved_qualification_is_revoked_once(chronic):
    q = apply_for_qualification(person=chronic.person, disease=chronic.diabetes, user=chronic.clerk_a,
                                uploads=[pdf()])
    with pytest.raises(ValidationError):
        revoke_qualification(q, user=chronic.clerk_b, on=dt.date(2026, 6, 30), reason="x")
    decide_qualification(q, user=chronic.clerk_b, approved=True, valid_from=chronic.day)
    revoke_qualification(q, user=chronic.clerk_b, on=dt.date(2026, 6, 30), reason="复查已痊愈")
    with pytest.raises(ValidationError):
        revoke_qualification(q, user=chronic.clerk_b, on=dt.date(2026, 5, 30), reason="again")
    assert ChronicDecision.objects.filter(qualification=q).count() == 2


def test_a_revocation_needs_a_reason(chronic):
    q = _approved(chronic)
    with pytest.raises(ValidationError) as exc:
        revoke_qualification(q, user=chronic.clerk_b, on=dt.date(2026, 6, 30), reason="")
    assert list(exc.value.message_dict) == ["reason"]
