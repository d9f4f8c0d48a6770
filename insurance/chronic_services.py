"""The verbs of 门慢特 qualification (docs/benefit-layers.md §C): import the disease list, apply with evidence,
decide (approve with validity and institution, or refuse with a reason; four eyes: never the applicant),
revoke. Every verb appends rows; nothing is edited or deleted. Bad input is a ValidationError naming the field
(the views show it on the form, status 400); deciding one's own application is PermissionDenied.

Who may call which verb (a bureau caseworker, an institution for its own patient) is the views' to check; the
applying institution is the caller's (None: the bureau's counter)."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import bounds
from core.attachments import check_uploads, removed_on_failure, store_checked
from core.private_storage import private_storage
from insurance.chronic_selectors import with_state
from insurance.models import Institution, Person
from insurance.qualifications import (
    ChronicDecision,
    ChronicDisease,
    ChronicEvidence,
    ChronicQualification,
    DecisionOutcome,
    QualificationState,
)

DEMO_DISEASES = Path(__file__).resolve().parent / "fixtures" / "chronic-diseases-demo.json"


def import_chronic_diseases(rows: Iterable[Mapping]) -> int:
    """The 门慢特 disease list from rows of code, name, icd10_prefixes, institution_required, validity_months
    (the national list's fields): a known code gets the new name and fields; the count of rows imported.
    A bad row is a ValidationError naming its line and field; nothing is imported then."""
    rows = list(rows)
    errors = []
    for line, r in enumerate(rows, start=1):
        for field in ("code", "name"):
            value = str(r.get(field) or "").strip()
            if not value:
                errors.append(_("Line %(line)d: %(field)s is required.") % {"line": line, "field": field})
            elif field == "code":
                try:
                    bounds.check_code(value)
                except ValidationError as exc:
                    errors.append(f"{line}: {field}: {exc.messages[0]}")
        months = r.get("validity_months", 24)
        if not isinstance(months, int) or not 1 <= months <= 120:
            errors.append(_("Line %(line)d: validity_months must be a whole number of months from 1 to 120.")
                          % {"line": line})
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for r in rows:
            ChronicDisease.objects.update_or_create(code=str(r["code"]).strip(), defaults={
                "name": str(r["name"]).strip(), "icd10_prefixes": [str(p) for p in r.get("icd10_prefixes") or []],
                "institution_required": bool(r.get("institution_required", False)),
                "validity_months": r.get("validity_months", 24)})
    return len(rows)


def import_demo_diseases() -> int:
    """The small demo list the demo city uses (insurance/fixtures/chronic-diseases-demo.json)."""
    return import_chronic_diseases(json.loads(DEMO_DISEASES.read_text(encoding="utf-8")))


def _authenticated(user):
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("A signed-in user is required."))
    return user


def apply_for_qualification(*, person: Person, disease: ChronicDisease, user, uploads=(),
                            designated_institution: Institution | None = None,
                            applying_institution: Institution | None = None, note: str = "") -> ChronicQualification:
    """An application for a person's qualification with its evidence (at least one PDF, JPEG or PNG, checked
    by content; stored under PRIVATE_MEDIA_ROOT by SHA-256). A disease that requires an institution needs the
    chosen one. A second open application for the same person and disease is refused."""
    user = _authenticated(user)
    errors: dict[str, list[str]] = {}
    if not uploads:
        errors["evidence"] = [_("At least one piece of evidence (PDF, JPEG or PNG) is required.")]
    else:
        try:
            checked = check_uploads(uploads)
        except ValidationError as exc:
            errors["evidence"] = exc.messages
    if disease.institution_required and designated_institution is None:
        errors["designated_institution"] = [_("This disease is treated at one chosen institution: choose it.")]
    if with_state(ChronicQualification.objects.filter(person=person, disease=disease)).filter(
            state=QualificationState.APPLIED).exists():
        errors["disease"] = [_("An application of this person for this disease is waiting for a decision.")]
    if errors:
        raise ValidationError(errors)
    with removed_on_failure(private_storage) as stored, transaction.atomic():
        qualification = ChronicQualification.objects.create(
            person=person, disease=disease, designated_institution=designated_institution,
            applying_institution=applying_institution, note=note.strip(), applied_by=user)
        for f in checked:
            store_checked(ChronicEvidence(qualification=qualification, original_name=f.name,
                                          content_type=f.content_type, size=f.size, sha256=f.sha256,
                                          uploaded_by=user), f, stored)
    return qualification


def _locked(qualification: ChronicQualification) -> ChronicQualification:
    """The application locked against a concurrent decision, with its state."""
    ChronicQualification.objects.select_for_update().filter(pk=qualification.pk).first()
    return with_state(ChronicQualification.objects.filter(pk=qualification.pk)).get()


def default_valid_to(disease: ChronicDisease, valid_from: dt.date) -> dt.date:
    """valid_from + the disease's validity in months, less a day (§C)."""
    return valid_from + relativedelta(months=disease.validity_months) - dt.timedelta(days=1)


def _check_date(errors: dict, field: str, value) -> None:
    try:
        bounds.check_date(value)
    except ValidationError as exc:
        errors[field] = exc.messages


def decide_qualification(qualification: ChronicQualification, *, user, approved: bool, reason: str = "",
                         valid_from: dt.date | None = None, valid_to: dt.date | None = None,
                         institution: Institution | None = None) -> ChronicDecision:
    """Approve (valid_from required; valid_to defaults to the disease's validity; the institution defaults to the
    one chosen in the application and is required when the disease requires one) or refuse (reason required).
    Four eyes: the applicant may not decide (PermissionDenied). An application is decided once."""
    user = _authenticated(user)
    reason = (reason or "").strip()
    with transaction.atomic():
        q = _locked(qualification)
        if q.applied_by_id == user.pk:
            raise PermissionDenied(_("Four eyes: the person who applied may not decide the application."))
        if q.state != QualificationState.APPLIED:
            raise ValidationError({"outcome": [_("This application is decided already.")]})
        errors: dict[str, list[str]] = {}
        if not approved:
            if not reason:
                errors["reason"] = [_("A refusal needs its reason.")]
            if errors:
                raise ValidationError(errors)
            return ChronicDecision.objects.create(qualification=q, outcome=DecisionOutcome.REFUSED, reason=reason,
                                                  decided_by=user)
        if valid_from is None:
            errors["valid_from"] = [_("The first day of validity is required.")]
        else:
            _check_date(errors, "valid_from", valid_from)
            valid_to = valid_to or default_valid_to(q.disease, valid_from)
            _check_date(errors, "valid_to", valid_to)
            if "valid_to" not in errors and valid_to < valid_from:
                errors["valid_to"] = [_("The last day of validity may not be before the first.")]
        institution = institution or q.designated_institution
        if q.disease.institution_required and institution is None:
            errors["institution"] = [_("This disease is treated at one chosen institution: choose it.")]
        if errors:
            raise ValidationError(errors)
        return ChronicDecision.objects.create(
            qualification=q, outcome=DecisionOutcome.APPROVED, valid_from=valid_from, valid_to=valid_to,
            institution=institution, reason=reason,
            decided_by=user)


def revoke_qualification(qualification: ChronicQualification, *, user, on: dt.date, reason: str) -> ChronicDecision:
    """End an approved qualification on a day (it is valid through that day, never deleted), with a reason."""
    user = _authenticated(user)
    reason = (reason or "").strip()
    with transaction.atomic():
        q = _locked(qualification)
        if q.state != QualificationState.APPROVED:
            raise ValidationError({"outcome": [_("Only an approved qualification can be revoked.")]})
        errors: dict[str, list[str]] = {}
        if not reason:
            errors["reason"] = [_("A revocation needs its reason.")]
        if on is None:
            errors["valid_to"] = [_("The last day of validity is required.")]
        else:
            _check_date(errors, "valid_to", on)
        if errors:
            raise ValidationError(errors)
        return ChronicDecision.objects.create(qualification=q, outcome=DecisionOutcome.REVOKED, valid_to=on,
                                              reason=reason, decided_by=user)


def import_qualification(*, person: Person, disease: ChronicDisease, valid_from: dt.date, valid_to: dt.date | None,
                         user, source: str, institution: Institution | None = None) -> ChronicDecision:
    """An approved qualification carried over from outside the platform (a predecessor system's register, a case
    file): its application and approval appended together by the importing user, the source in the note. The
    evidence and the two signatures stay with the source; the four-eyes rule is for decisions taken here."""
    user = _authenticated(user)
    source = (source or "").strip()
    errors: dict[str, list[str]] = {}
    if not source:
        errors["source"] = [_("An imported qualification names where it comes from.")]
    _check_date(errors, "valid_from", valid_from)
    valid_to = valid_to or default_valid_to(disease, valid_from)
    _check_date(errors, "valid_to", valid_to)
    if not errors and valid_to < valid_from:
        errors["valid_to"] = [_("The last day of validity may not be before the first.")]
    if disease.institution_required and institution is None:
        errors["institution"] = [_("This disease is treated at one chosen institution: choose it.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        qualification = ChronicQualification.objects.create(
            person=person, disease=disease, designated_institution=institution, applied_by=user,
            note=_("Imported from %(source)s") % {"source": source})
        return ChronicDecision.objects.create(
            qualification=qualification, outcome=DecisionOutcome.APPROVED, valid_from=valid_from, valid_to=valid_to,
            institution=institution, reason=_("Imported from %(source)s") % {"source": source}, decided_by=user)
