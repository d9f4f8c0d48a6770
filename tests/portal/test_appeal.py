"""Filing an appeal in the portal with attachments: checked by content (PDF, JPEG, PNG) and size, stored in
the private store in the appeal's transaction, downloaded only by the item's institution and bureau staff."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from claims.errors import ServiceError
from config import settings as project_settings
from portal.models import AppealAttachment
from portal.services import file_appeal_with_attachments
from review.models import Appeal, ReviewAction, SuspectState
from tests.portal.conftest import JPEG, PDF, PNG


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type)


def post_appeal(client, item, explanation="第二次血常规为复查，有医嘱", files=()):
    return client.post(reverse("portal:item-appeal", args=[item.pk]),
                       {"explanation": explanation, "attachments": list(files)})


def test_appeal_filed_with_attachments(world, as_user, private_root):
    item = world.confirmed(amount="30.00")
    client = as_user(world.hosp_a)
    page = client.get(reverse("portal:item", args=[item.pk])).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="attachments"' in page
    response = post_appeal(client, item, files=[upload("病历.pdf", PDF, "application/pdf"),
                                                upload("化验单.png", PNG), upload("photo.jpg", JPEG)])
    assert response.status_code == 302 and response["Location"] == reverse("portal:item", args=[item.pk])
    item.refresh_from_db()
    appeal = Appeal.objects.get(item=item)
    assert item.state == SuspectState.APPEALED and appeal.filed_by == world.hosp_a
    assert appeal.events.get().action == ReviewAction.APPEAL_FILED
    rows = list(appeal.attachments.order_by("pk"))
    assert [(a.original_name, a.content_type, a.size) for a in rows] == [
        ("病历.pdf", "application/pdf", len(PDF)), ("化验单.png", "image/png", len(PNG)),
        ("photo.jpg", "image/jpeg", len(JPEG))]
    assert all(a.uploaded_by == world.hosp_a and len(a.sha256) == 64 for a in rows)
    stored = private_root / rows[0].file.name
    assert stored.read_bytes() == PDF and "病历" not in rows[0].file.name
    page = client.get(reverse("portal:item", args=[item.pk])).content.decode()
    assert "病历.pdf" in page and reverse("portal:attachment", args=[rows[0].pk]) in page


@pytest.mark.parametrize("name,content", [
    ("病历.pdf", b"MZ\x90\x00 not a pdf at all"),        # a program named .pdf
    ("notes.txt", b"plain text"),
    ("page.html", b"<html><script>alert(1)</script>"),
    ("fake.png", b"GIF89a" + b"\x00" * 10),
])
def test_type_is_checked_by_content(world, as_user, name, content):
    item = world.confirmed()
    response = post_appeal(as_user(world.hosp_a), item, files=[upload(name, content, "application/pdf")])
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["attachments"] and name in errors["attachments"][0]
    item.refresh_from_db()
    assert item.state == SuspectState.CONFIRMED and not Appeal.objects.filter(item=item).exists()
    assert 'data-field="attachments"' in response.content.decode()


def test_size_limit_is_a_setting(world, as_user, settings):
    settings.PORTAL_ATTACHMENT_MAX_BYTES = 1024
    item = world.confirmed()
    big = PDF + b"0" * 1024
    response = post_appeal(as_user(world.hosp_a), item, files=[upload("big.pdf", big)])
    assert response.status_code == 400
    assert "big.pdf" in response.context["form"].errors["attachments"][0]
    assert not Appeal.objects.filter(item=item).exists() and not AppealAttachment.objects.exists()


def test_empty_explanation_names_the_field(world, as_user):
    item = world.confirmed()
    response = post_appeal(as_user(world.hosp_a), item, explanation=" ", files=[upload("a.pdf", PDF)])
    assert response.status_code == 400 and "explanation" in response.context["form"].errors
    assert not AppealAttachment.objects.exists()


def test_service_refusal_writes_no_file(world, private_root):
    """An item not confirmed: file_appeal refuses and neither the rows nor the files remain."""
    item = world.item()
    with pytest.raises(ServiceError) as exc:
        file_appeal_with_attachments(item, user=world.hosp_a, explanation="说明", uploads=[upload("a.pdf", PDF)])
    assert exc.value.errors[0]["code"] == "NOT_CONFIRMED"
    assert not AppealAttachment.objects.exists()
    assert not [p for p in private_root.rglob("*") if p.is_file()]


def test_service_checks_the_files_too(world):
    item = world.confirmed()
    with pytest.raises(ServiceError) as exc:
        file_appeal_with_attachments(item, user=world.hosp_a, explanation="说明", uploads=[upload("x.exe", b"MZ")])
    assert exc.value.errors[0]["field"] == "attachments"
    assert not Appeal.objects.filter(item=item).exists()


def test_another_institution_cannot_appeal(world, as_user):
    item = world.confirmed()
    response = post_appeal(as_user(world.hosp_b), item, files=[upload("a.pdf", PDF)])
    assert response.status_code == 404 and not Appeal.objects.filter(item=item).exists()


@pytest.fixture
def attachment(world):
    item = world.confirmed()
    appeal = file_appeal_with_attachments(item, user=world.hosp_a, explanation="复查有医嘱",
                                          uploads=[upload("病历.pdf", PDF)])
    return appeal.attachments.get()


def test_download_by_the_institution_and_the_bureau(world, as_user, attachment):
    url = reverse("portal:attachment", args=[attachment.pk])
    for user in (world.hosp_a, world.caseworker, world.reviewer, world.appeal_reviewer, world.supervisor):
        response = as_user(user).get(url)
        assert response.status_code == 200, user
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"


def test_download_refused_to_others(world, as_user, attachment):
    url = reverse("portal:attachment", args=[attachment.pk])
    assert as_user(world.hosp_b).get(url).status_code == 404
    assert as_user(world.nobody).get(url).status_code == 404
    assert as_user(None).get(url).status_code == 302


def test_bureau_appeal_page_links_the_attachment(world, as_user, attachment):
    html = as_user(world.appeal_reviewer).get(reverse("workspace:appeal", args=[attachment.appeal_id])).content
    assert reverse("portal:attachment", args=[attachment.pk]).encode() in html and "病历.pdf".encode() in html


def test_the_store_is_outside_the_web_root():
    """The declared default (the tests run on a temporary store): var/attachments, beside media and static."""
    private = project_settings.PRIVATE_MEDIA_ROOT
    assert private == project_settings.BASE_DIR / "var" / "attachments"
    for public in (project_settings.MEDIA_ROOT, project_settings.STATIC_ROOT, *project_settings.STATICFILES_DIRS):
        assert not private.is_relative_to(public)
    assert "var/" in (project_settings.BASE_DIR / ".gitignore").read_text().splitlines()
