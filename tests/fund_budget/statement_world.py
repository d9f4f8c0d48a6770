"""The test world of the statement and clearing pages: two hospitals with March 2026 statements issued by
settle_month (real statements, fund lines, payment-method lines and payments), a clearing report of 2025 for
each (the spec's worked example X and Y, lines from compute_clearing), and the logins that look at them: a
fund-bureau caseworker, a reviewer (a bureau role of claims.permissions), one login per hospital and a login
with no role."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User

from claims.permissions import REVIEWER
from fund_budget.clearing import _line_rows, compute_clearing, snapshot
from fund_budget.deductions import record_deduction
from fund_budget.models import ClearingLine, ClearingReport, MonthlyStatement, Rating
from insurance.models import Institution
from tests.factories import ClearingReportFactory, InstitutionUserFactory

from .conftest import at_time, local, make_institution, make_settlement, settle, worked_parameters

D = Decimal


@dataclass
class StatementWorld:
    a: Institution
    b: Institution
    st_a: MonthlyStatement
    st_b: MonthlyStatement
    report_a: ClearingReport
    report_b: ClearingReport
    bureau: User
    reviewer: User
    user_a: User
    user_b: User
    nobody: User


def _report(institution: Institution, rating: str, index: str, actual: str, withheld: str, score: int,
            params) -> ClearingReport:
    result = compute_clearing(index_amount=D(index), fund_total=D(actual), deductions=D("0"), withheld=D(withheld),
                              score=D(score), rating=rating, params=snapshot(params))
    report = ClearingReportFactory(
        index__institution=institution, index__agreed_amount=D(index), index__rating=rating, rating=rating,
        side=result.side, assessment_score=D(score), index_amount=result.index_amount, fund_total=D(actual),
        actual=result.actual, withheld=result.withheld, retained=result.retained, shared=result.shared,
        due=result.due, returned=result.returned, final=result.final, next_base=result.next_base)
    ClearingLine.objects.bulk_create(_line_rows(report.pk, result))
    return report


@pytest.fixture
def statements(db, person, policy) -> StatementWorld:
    worked_parameters(2026)
    params_2025 = worked_parameters(2025)
    a = make_institution(71, name="甲市第一人民医院")
    b = make_institution(72, name="乙县中医院")
    make_settlement(a, local(2026, 3, 5, 10), person=person, policy=policy, hifp="8497.95", hifob="1200.00")
    make_settlement(a, local(2026, 3, 12, 10), person=person, policy=policy, hifp="1502.05")
    make_settlement(b, local(2026, 3, 8, 10), person=person, policy=policy, hifp="654321.00")
    deduction = record_deduction(a, D("300.00"), "重复收费", source_type="test", source_id="1")
    at_time(type(deduction).objects.filter(pk=deduction.pk), "confirmed_at", local(2026, 3, 20, 10))
    settle("2026-03")
    bureau = User.objects.create_user("fund-caseworker", password="x")
    bureau.groups.add(Group.objects.get(name="fund_bureau"))
    reviewer = User.objects.create_user("reviewer-1", password="x")
    reviewer.groups.add(Group.objects.get_or_create(name=REVIEWER)[0])
    return StatementWorld(
        a=a, b=b, st_a=MonthlyStatement.objects.get(institution=a), st_b=MonthlyStatement.objects.get(institution=b),
        report_a=_report(a, Rating.AA, "10000000", "9000000", "450000", 95, params_2025),
        report_b=_report(b, Rating.A, "5000000", "6000000", "300000", 80, params_2025),
        bureau=bureau, reviewer=reviewer,
        user_a=InstitutionUserFactory(institution=a, user__username="hosp-a").user,
        user_b=InstitutionUserFactory(institution=b, user__username="hosp-b").user,
        nobody=User.objects.create_user("nobody", password="x"),
    )

