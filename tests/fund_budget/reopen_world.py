"""The test world of reopening a month: the statement world's March 2026 (two hospitals, payments pending),
two supervisors (chief and deputy), a superuser, and helpers that request and approve a reopening through the
services and record a settlement the March run missed (recorded after its cutoff)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User

from claims.permissions import SUPERVISOR
from claims.roles import ensure_roles
from fund_budget.models import MonthlyRun, MonthReopeningApproval, MonthReopeningRequest
from fund_budget.reopening import approve_reopening, request_reopening
from tests.factories import UserFactory

from .conftest import local, make_settlement, statement_day_cutoff
from .statement_world import StatementWorld, statements  # noqa: F401 - the fixture

PASSWORD = "pw-12345678"
REASON = "3月20日甲医院的结算在截止时间后才入库，漏结"


@dataclass
class ReopenWorld:
    s: StatementWorld
    run: MonthlyRun
    chief: User
    deputy: User
    root: User

    def request(self, reason: str = REASON, user=None) -> MonthReopeningRequest:
        return request_reopening(self.run, reason, user or self.chief)

    def reopen(self, reason: str = REASON) -> MonthReopeningApproval:
        """The chief requests, the deputy approves."""
        return approve_reopening(self.request(reason), self.deputy)

    def late_settlement(self, person, policy, hifp: str = "1000.00"):
        """A settlement of hospital A on 20 March recorded an hour after the March run's cutoff."""
        return make_settlement(self.s.a, local(2026, 3, 20, 10), person=person, policy=policy, hifp=hifp,
                               created_at=statement_day_cutoff("2026-03") + dt.timedelta(hours=1))


@pytest.fixture
def reopen(statements) -> ReopenWorld:  # noqa: F811
    ensure_roles()
    return ReopenWorld(
        s=statements, run=MonthlyRun.objects.get(month=dt.date(2026, 3, 1)),
        chief=UserFactory(username="chief", password=PASSWORD, roles=[SUPERVISOR]),
        deputy=UserFactory(username="deputy", password=PASSWORD, roles=[SUPERVISOR]),
        root=UserFactory(username="root", password=PASSWORD, is_superuser=True, is_staff=True),
    )
