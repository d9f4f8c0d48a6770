"""The workspace tests reuse the review test world (tests/review/conftest.py): the demo policy pack,
two hospitals, the four bureau roles, audit rules and settled visits with suspect items."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from claims.intake.services import discharge_visit, register_visit, upload_fee_lines
from claims.settlement.services import settle_visit
from insurance.models import Person
from tests.review.conftest import LINES, PASSWORD, World, make_person, make_user, world  # noqa: F401


def settled_today(w: World, psn_no: str, institution=None):
    """A visit admitted eight days ago and settled now, so today's dashboard has numbers."""
    if not Person.objects.filter(psn_no=psn_no).exists():
        make_person(psn_no)
    now = timezone.now().replace(microsecond=0)
    visit = register_visit(institution=institution or w.inst_a, psn_no=psn_no, med_type="21",
                           begntime=now - dt.timedelta(days=8))
    upload_fee_lines(visit, LINES)
    visit = discharge_visit(visit, endtime=now - dt.timedelta(minutes=5))
    return settle_visit(visit, setl_time=now - dt.timedelta(minutes=1))


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client
    return _login
