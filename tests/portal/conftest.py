"""The portal tests reuse the review test world (tests/review/conftest.py): two hospitals with their
users (hosp_a, hosp_b), the bureau's roles, audit rules and settled visits with suspect items. Attachments
go to a fresh private store per test."""
from __future__ import annotations

import pytest

from tests.review.conftest import PASSWORD, World, make_user, world  # noqa: F401

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "attachments"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture
def as_user(client):
    def _as(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client
    return _as
