"""Applying for a 门慢特 qualification: evidence checked by content and kept in the private store under its
SHA-256, the application append-only, a second open application refused, an institution required where the
disease needs one."""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import InternalError, connection, transaction

from insurance import chronic_selectors as selectors
from insurance.chronic_services import apply_for_qualification
from insurance.models import ChronicEvidence, ChronicQualification, QualificationState
from tests.insurance.conftest import PDF, PNG, pdf


def test_an_application_with_evidence_is_pending(chronic, private_root):
    q = apply_for_qualification(person=chronic.person, disease=chronic.diabetes, user=chronic.clerk_a,
                                uploads=[pdf(), SimpleUploadedFile("化验单.png", PNG, "image/png")], note="空腹血糖 8.2")
    assert q.applied_by == chronic.clerk_a and q.applying_institution is None
    evidence = list(selectors.evidence_of(q))
    assert [(e.original_name, e.content_type, e.size) for e in evidence] == [
        ("诊断证明.pdf", "application/pdf", len(PDF)), ("化验单.png", "image/png", len(PNG))]
    assert (private_root / evidence[0].file.name).read_bytes() == PDF
    assert evidence[0].file.name == f"chronic/{q.pk}/{evidence[0].sha256}"
    assert [p.pk for p in selectors.pending()] == [q.pk]
    assert selectors.qualifications_of(chronic.person).get().state == QualificationState.APPLIED


def test_an_institution_applies_for_its_patient(chronic):
    q = apply_for_qualification(person=chronic.person, disease=chronic.dialysis, user=chronic.hosp_2,
                                uploads=[pdf()], designated_institution=chronic.h2, applying_institution=chronic.h2)
    assert q.applying_institution == chronic.h2 and q.designated_institution == chronic.h2


@pytest.mark.parametrize("content", [b"MZ\x90\x00 a program", b"plain text", b""])
def test_evidence_is_checked_by_content(chronic, content):
    with pytest.raises(ValidationError) as exc:
        apply_for_qualification(person=chronic.person, disease=chronic.diabetes, user=chronic.clerk_a,
                                uploads=[pdf("x.pdf", content)])
    assert list(exc.value.message_dict) == ["evidence"]
    assert not ChronicQualification.objects.exists() and not ChronicEvidence.objects.exists()


def test_evidence_is_required(chronic):
    with pytest.raises(ValidationError) as exc:
        apply_for_qualification(person=chronic.person, disease=chronic.diabetes, user=chronic.clerk_a, uploads=[])
    assert list(exc.value.message_dict) == ["evidence"]


def test_a_disease_treated_at_one_institution_needs_it(chronic):
    with pytest.raises(ValidationError) as exc:
        apply_for_qualification(person=chronic.person, disease=chronic.dialysis, user=chronic.clerk_a,
                                uploads=[pdf()])
    assert list(exc.value.message_dict) == ["designated_institution"]


def test_a_second_open_application_is_refused(chronic):
    apply_for_qualification(person=chronic.person, disease=chronic.diabetes, user=chronic.clerk_a, uploads=[pdf()])
    with pytest.raises(ValidationError) as exc:
        apply_for_qualification(person=chronic.person, disease=chronic.diabetes, user=chronic.clerk_b,
                                uploads=[pdf()])
    assert list(exc.value.message_dict) == ["disease"]
    assert ChronicQualification.objects.count() == 1


def test_the_application_and_its_evidence_are_append_only(chronic):
    q = apply_for_qualification(person=chronic.person, disease=chronic.diabetes, user=chronic.clerk_a,
                                uploads=[pdf()])
    for table in ("insurance_chronicqualification", "insurance_chronicevidence"):
        for sql in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
            with pytest.raises(InternalError), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql)
    assert ChronicEvidence.objects.filter(qualification=q).count() == 1
