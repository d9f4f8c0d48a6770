"""The 门慢特 pages: apply at the bureau's counter and in the portal, the pending list, decide (four eyes: 403
for the applicant), revoke; bad input is 400 with the error on its field; an institution sees only its own
applications and evidence (404 otherwise); the workspace is the bureau's (403 for an institution)."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from insurance.chronic_selectors import qualifications_of
from insurance.chronic_services import apply_for_qualification, decide_qualification
from insurance.models import ChronicDecision, ChronicQualification, QualificationState
from tests.insurance.conftest import PDF, pdf


def _post_apply(client, url, **fields):
    data = {"psn_no": "E1", "disease": "M03900", "designated_institution": "", "note": "", "evidence": [pdf()]}
    data.update(fields)
    return client.post(url, data)


def test_a_caseworker_records_and_another_decides(chronic, as_user):
    client = as_user(chronic.clerk_a)
    response = _post_apply(client, reverse("workspace:chronic-apply"), note="糖化血红蛋白 8.1%")
    q = ChronicQualification.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("workspace:chronic", args=[q.pk])
    page = client.get(reverse("workspace:chronic-list")).content.decode()
    assert "M03900" in page and reverse("workspace:chronic", args=[q.pk]) in page
    page = client.get(reverse("workspace:chronic", args=[q.pk])).content.decode()
    assert 'id="four-eyes"' in page and 'id="chronic-decide"' not in page
    assert client.post(reverse("workspace:chronic-decide", args=[q.pk]),
                       {"outcome": "approved", "valid_from": "2026-01-10"}).status_code == 403
    client = as_user(chronic.clerk_b)
    response = client.post(reverse("workspace:chronic-decide", args=[q.pk]),
                           {"outcome": "approved", "valid_from": "2026-01-10"})
    assert response.status_code == 302
    assert qualifications_of(chronic.person).get().state == QualificationState.APPROVED
    person = client.get(reverse("workspace:person", args=["E1"])).content.decode()
    assert "M03900" in person and "2026-01-10 ~ 2028-01-09" in person
    response = client.post(reverse("workspace:chronic-revoke", args=[q.pk]),
                           {"valid_to": "2026-06-30", "reason": "复查不符合"})
    assert response.status_code == 302
    assert qualifications_of(chronic.person).get().state == QualificationState.REVOKED
    evidence = q.evidence.get()
    download = client.get(reverse("workspace:chronic-evidence", args=[evidence.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF


@pytest.mark.parametrize("fields,field", [
    ({"psn_no": "NOBODY"}, "psn_no"),
    ({"disease": "M00000"}, "disease"),
    ({"evidence": [SimpleUploadedFile("x.pdf", b"MZ program", "application/pdf")]}, "evidence"),
    ({"evidence": []}, "evidence"),
    ({"disease": "M07800"}, "designated_institution"),
    ({"designated_institution": "H00000000000"}, "designated_institution"),
])
def test_bad_application_input_is_400_on_its_field(chronic, as_user, fields, field):
    response = _post_apply(as_user(chronic.clerk_a), reverse("workspace:chronic-apply"), **fields)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not ChronicQualification.objects.exists()


@pytest.mark.parametrize("data,field", [
    ({"outcome": "approved"}, "valid_from"),
    ({"outcome": "approved", "valid_from": "2026-05-01", "valid_to": "2026-04-01"}, "valid_to"),
    ({"outcome": "approved", "valid_from": "not a date"}, "valid_from"),
    ({"outcome": "refused"}, "reason"),
    ({"outcome": "maybe"}, "outcome"),
])
def test_bad_decision_input_is_400_on_its_field(chronic, as_user, data, field):
    q = apply_for_qualification(person=chronic.person, disease=chronic.diabetes, user=chronic.clerk_a,
                                uploads=[pdf()])
    response = as_user(chronic.clerk_b).post(reverse("workspace:chronic-decide", args=[q.pk]), data)
    assert response.status_code == 400
    assert field in response.context["decision_form"].errors
    assert not ChronicDecision.objects.exists()


def test_an_institution_applies_and_sees_only_its_own(chronic, as_user):
    client = as_user(chronic.hosp_2)
    response = _post_apply(client, reverse("portal:chronic"), disease="M07800",
                           designated_institution=chronic.h2.fixmedins_code)
    own = ChronicQualification.objects.get()
    assert response.status_code == 302 and own.applying_institution == chronic.h2
    other = apply_for_qualification(person=chronic.other, disease=chronic.diabetes, user=chronic.hosp_3,
                                    uploads=[pdf("other.pdf")], applying_institution=chronic.h3)
    page = client.get(reverse("portal:chronic")).content.decode()
    assert reverse("portal:chronic-detail", args=[own.pk]) in page
    assert reverse("portal:chronic-detail", args=[other.pk]) not in page
    assert client.get(reverse("portal:chronic-detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("portal:chronic-evidence", args=[other.evidence.get().pk])).status_code == 404
    assert client.get(reverse("portal:chronic-evidence", args=[own.evidence.get().pk])).status_code == 200
    decide_qualification(own, user=chronic.clerk_b, approved=True, valid_from=chronic.day)
    page = client.get(reverse("portal:chronic-detail", args=[own.pk])).content.decode()
    assert "2026-01-10 ~ 2027-01-09" in page and chronic.h2.name in page


def test_the_workspace_pages_are_the_bureaus(chronic, as_user):
    client = as_user(chronic.hosp_2)
    for name in ("workspace:chronic-list", "workspace:chronic-apply"):
        assert client.get(reverse(name)).status_code == 403
    assert as_user(chronic.clerk_a).get(reverse("portal:chronic")).status_code == 403


def test_a_portal_application_with_bad_input_is_400(chronic, as_user):
    response = _post_apply(as_user(chronic.hosp_2), reverse("portal:chronic"), psn_no="")
    assert response.status_code == 400 and "psn_no" in response.context["form"].errors
