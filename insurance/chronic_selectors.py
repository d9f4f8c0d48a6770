"""Queries about 门慢特 qualifications (docs/benefit-layers.md §C): their state read from the decisions, the
pending applications, who sees which application, and the approved qualifications as the adjudication
engine's frame (policy_rules.engine.facts.QUALIFICATION_COLUMNS), which both settlement readers hand to
facts.chronic_flags."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from django.db.models import Case, CharField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When

from core.idlists import among
from core.prepared import Bound, Prepared
from insurance.models import Person
from insurance.qualifications import (
    ChronicDecision,
    ChronicDisease,
    ChronicEvidence,
    ChronicQualification,
    DecisionOutcome,
    QualificationState,
)

# the engine's QUALIFICATION_COLUMNS (insurance sits below policy_rules and does not import it;
# tests/insurance/test_qualification_frame.py holds the two equal). In the database: person = Person.pk,
# institution = the designated Institution.pk as text ("" when any institution will do).
QUALIFICATION_FRAME_COLUMNS = ["person", "disease", "valid_from", "valid_to", "institution"]


def _decided(outcome: str, field: str) -> Subquery:
    return Subquery(ChronicDecision.objects.filter(qualification=OuterRef("pk"), outcome=outcome)
                    .values(field)[:1])


def with_state(qs: QuerySet[ChronicQualification] | None = None) -> QuerySet[ChronicQualification]:
    """Qualifications annotated with their state and validity: approved_from, approved_to, approved_institution
    (its pk), revoked_on, valid_to (the approval's end, or the revocation's day when earlier) and state."""
    if qs is None:
        qs = ChronicQualification.objects.all()
    qs = qs.annotate(
        approved_from=_decided(DecisionOutcome.APPROVED, "valid_from"),
        approved_to=_decided(DecisionOutcome.APPROVED, "valid_to"),
        approved_institution=_decided(DecisionOutcome.APPROVED, "institution"),
        revoked_on=_decided(DecisionOutcome.REVOKED, "valid_to"),
        refused=Exists(ChronicDecision.objects.filter(qualification=OuterRef("pk"), outcome=DecisionOutcome.REFUSED)),
    )
    return qs.annotate(
        valid_to=Case(When(revoked_on__lt=F("approved_to"), then=F("revoked_on")), default=F("approved_to")),
        state=Case(
            When(revoked_on__isnull=False, then=Value(QualificationState.REVOKED)),
            When(approved_from__isnull=False, then=Value(QualificationState.APPROVED)),
            When(refused=True, then=Value(QualificationState.REFUSED)),
            default=Value(QualificationState.APPLIED), output_field=CharField()),
    ).select_related("person", "disease", "applying_institution", "designated_institution", "applied_by")


def visible_to(institution_id: int | None) -> QuerySet[ChronicQualification]:
    """Every application for the bureau (institution_id None); an institution's own applications otherwise."""
    qs = with_state()
    return qs if institution_id is None else qs.filter(applying_institution_id=institution_id)


def pending(institution_id: int | None = None) -> QuerySet[ChronicQualification]:
    """Applications not decided yet, oldest first."""
    return visible_to(institution_id).filter(state=QualificationState.APPLIED).order_by("applied_at", "pk")


def qualifications_of(person: Person) -> QuerySet[ChronicQualification]:
    """A person's applications and qualifications, newest first, with their state."""
    return with_state(ChronicQualification.objects.filter(person=person))


def decisions_of(qualification: ChronicQualification) -> QuerySet[ChronicDecision]:
    return qualification.decisions.select_related("decided_by", "institution").order_by("decided_at", "pk")


def evidence_of(qualification: ChronicQualification) -> QuerySet[ChronicEvidence]:
    return qualification.evidence.order_by("pk")


def evidence_visible_to(institution_id: int | None) -> QuerySet[ChronicEvidence]:
    qs = ChronicEvidence.objects.select_related("qualification")
    return qs if institution_id is None else qs.filter(qualification__applying_institution_id=institution_id)


def diseases() -> QuerySet[ChronicDisease]:
    return ChronicDisease.objects.order_by("code")


def approved_in_force(person_ids, on: dt.date | None = None) -> QuerySet[ChronicQualification]:
    """The approved, unrevoked-or-not-yet-ended qualifications of these persons (valid on `on` when given)."""
    qs = with_state(ChronicQualification.objects.filter(person_id__in=among(person_ids))).filter(
        approved_from__isnull=False).filter(valid_to__gte=F("approved_from"))
    if on is not None:
        qs = qs.filter(Q(approved_from__lte=on) & Q(valid_to__gte=on))
    return qs


# the rows of qualification_frame, compiled once per number of persons (core.prepared): the counter asks for
# one person's on every settlement, and the query's five sub-selects cost Django more to compile than to run
_QUALIFICATION_ROWS = Prepared(ChronicQualification, lambda person_ids: approved_in_force(person_ids).order_by(
    "pk").values_list("person_id", "disease__code", "approved_from", "valid_to", "approved_institution"))
# whether any of these persons has a qualification at all (applied, approved or otherwise): most persons have none,
# and PostgreSQL plans this in a fraction of the time it takes to plan the query above
_ANY_QUALIFICATION = Prepared(ChronicQualification, lambda person_ids: ChronicQualification.objects.filter(
    person_id__in=among(person_ids)).order_by().values_list("pk")[:1])


# qualification_frame of no rows (tests/insurance/test_qualification_frame.py compares it with the general path's)
_NO_QUALIFICATIONS = pd.DataFrame({
    "person": np.zeros(0, np.int64), "disease": np.zeros(0, object), "valid_from": np.zeros(0, "datetime64[ns]"),
    "valid_to": np.zeros(0, "datetime64[ns]"), "institution": np.zeros(0, object)})  # in the columns' order


def any_qualification_read(person_ids) -> Bound:
    """qualification_frame's first look-up for these persons, bound (core.prepared.fold), so that a settlement can
    read it with its other reads; its result is qualification_frame's `held`."""
    return _ANY_QUALIFICATION.bind(sorted(set(person_ids)))


def qualification_frame(person_ids, held: list | None = None) -> pd.DataFrame:
    """The approved qualifications of these persons as the engine's frame (QUALIFICATION_FRAME_COLUMNS): the
    disease's code, the validity (ended by a revocation where there is one), the designated institution's pk
    as text or "" for any institution. One query when none of the persons has a qualification, two otherwise;
    empty persons, no query. held: the look-up's answer already read (any_qualification_read's result)."""
    person_ids = sorted(set(person_ids))
    if person_ids and held is None:
        held = _ANY_QUALIFICATION(person_ids)
    rows = _QUALIFICATION_ROWS(person_ids) if person_ids and held else []
    if not rows:  # the usual answer at the counter: the empty frame below, without building it again
        return _NO_QUALIFICATIONS.copy(deep=False)
    return pd.DataFrame({
        "person": pd.Series([r[0] for r in rows], dtype="int64"),
        "disease": pd.Series([r[1] for r in rows], dtype=object),
        "valid_from": pd.to_datetime(pd.Series([r[2] for r in rows], dtype=object)),
        "valid_to": pd.to_datetime(pd.Series([r[3] for r in rows], dtype=object)),
        "institution": pd.Series(["" if r[4] is None else str(r[4]) for r in rows], dtype=object),
    }, columns=QUALIFICATION_FRAME_COLUMNS)
