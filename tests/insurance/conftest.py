"""The 门慢特 qualification tests' world: the demo disease list, two caseworkers (four eyes), two hospitals
with a login each, an employee E1, and a fresh private store per test for the evidence."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from claims.roles import ensure_roles
from insurance.chronic_services import import_demo_diseases
from insurance.models import ChronicDisease, Institution, InstitutionUser
from tests.factories import InstitutionFactory, PersonFactory, UserFactory

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PASSWORD = "pw-chronic-123"


def pdf(name: str = "诊断证明.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, "application/pdf")


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "attachments"
    return settings.PRIVATE_MEDIA_ROOT


def _hospital_user(username: str, institution: Institution):
    user = UserFactory(username=username, password=PASSWORD)
    InstitutionUser.objects.create(user=user, institution=institution)
    return user


@pytest.fixture
def chronic(db):
    ensure_roles()
    import_demo_diseases()
    w = SimpleNamespace()
    w.diabetes = ChronicDisease.objects.get(code="M03900")
    w.dialysis = ChronicDisease.objects.get(code="M07800")
    w.clerk_a = UserFactory(username="jingban_a", password=PASSWORD, roles=["caseworker"])
    w.clerk_b = UserFactory(username="jingban_b", password=PASSWORD, roles=["caseworker"])
    w.h2 = InstitutionFactory(fixmedins_code="H99010000002", name="示范市第二人民医院", level=2)
    w.h3 = InstitutionFactory(fixmedins_code="H99010000003", name="示范市第三人民医院", level=3)
    w.hosp_2 = _hospital_user("yiyuan2", w.h2)
    w.hosp_3 = _hospital_user("yiyuan3", w.h3)
    w.person = PersonFactory(psn_no="E1", name="慢病一")
    w.other = PersonFactory(psn_no="E9", name="另一人")
    w.day = dt.date(2026, 1, 10)
    return w


@pytest.fixture
def as_user(client):
    def _as(user):
        client.logout()
        client.force_login(user)
        return client
    return _as
