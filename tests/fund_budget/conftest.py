"""Helpers for the fund-budget tests: institutions, settlements written directly (keeping the amount
invariants the database enforces), reversals, the worked example's parameters and month runs. They build
their objects with the factories of tests/factories."""
import datetime as dt
from decimal import Decimal

import pytest

from claims.models import Settlement, SettlementStatus, VisitStatus
from core.ledger import money_writes
from core.periods import month_bounds
from fund_budget.common import parse_month
from fund_budget.models import FundThreshold, FundYearParameters
from fund_budget.monthly import settle_month
from insurance.models import Gender, Institution
from tests.factories import (
    DemoPolicyFactory,
    FundThresholdFactory,
    FundYearParametersFactory,
    InstitutionFactory,
    PaidSettlementFactory,
    PersonFactory,
    ReversalFactory,
    VisitFactory,
)
from tests.factories import local_dt as local  # noqa: F401 - the fund tests import it from here

D = Decimal


@pytest.fixture
def policy(db):
    return DemoPolicyFactory()


@pytest.fixture
def person(db):
    return PersonFactory(name="张三", gender=Gender.MALE, birth_date=dt.date(1970, 5, 1), certno=None)


def make_institution(code: int, level: int = 3, region: str = "410800", name: str = "") -> Institution:
    return InstitutionFactory(fixmedins_code=f"H4108{code:07d}", name=name or f"测试医院{code}", level=level,
                              region=region)


def worked_parameters(year: int, region: str = "", **overrides) -> FundYearParameters:
    """The spec's worked-example parameters (FundYearParametersFactory's defaults)."""
    return FundYearParametersFactory(year=year, region=region, **overrides)


def threshold(params: FundYearParameters, fund: str, amount) -> FundThreshold:
    return FundThresholdFactory(parameters=params, fund=fund, item_by_item_threshold=D(str(amount)))


def make_settlement(institution, when: dt.datetime, *, person, policy, hifp="0", hifob="0", hifmi="0", maf="0",
                    psn_part="0", med_type="21", begin=None, end=None, diagnoses=None,
                    created_at: dt.datetime | None = None, enrollment=None, dise_codg: str = "") -> Settlement:
    """A settlement at `when` (recorded a minute later unless created_at is given); the visit registered under
    enrollment, when given (else its scheme is the person's enrollment in force, fund_budget.funds.scheme)."""
    visit = VisitFactory(person=person, institution=institution, med_type=med_type, enrollment=enrollment,
                         begntime=begin or when - dt.timedelta(days=3), endtime=end if end is not None else when,
                         diagnoses=diagnoses or [], status=VisitStatus.SETTLED, dise_codg=dise_codg)
    s = PaidSettlementFactory(visit=visit, policy_version=policy, setl_time=when, hifp_pay=D(str(hifp)),
                              hifob_pay=D(str(hifob)), hifmi_pay=D(str(hifmi)), maf_pay=D(str(maf)),
                              psn_part=D(str(psn_part)))
    with money_writes():  # a settlement recorded at another time: fixture setup, as the services would
        Settlement.objects.filter(pk=s.pk).update(created_at=created_at or when + dt.timedelta(minutes=1))
    return s


def reverse(s: Settlement, when: dt.datetime, created_at: dt.datetime | None = None) -> Settlement:
    """The cancellation (冲销) of a settlement at `when`: same positive amounts, kind reversal."""
    with money_writes():  # fixture setup, as cancel_settlement would
        Settlement.objects.filter(pk=s.pk).update(status=SettlementStatus.CANCELLED)
        r = ReversalFactory(reverses=s, setl_time=when)
        Settlement.objects.filter(pk=r.pk).update(created_at=created_at or when + dt.timedelta(minutes=1))
    return r


def statement_day_cutoff(month: str) -> dt.datetime:
    """The cutoff of a run on the 10th at 06:15 after the month (minus the default hour of lag)."""
    end = month_bounds(parse_month(month))[1]
    return end + dt.timedelta(days=9, hours=5, minutes=15)


def settle(month: str, cutoff: dt.datetime | None = None):
    return settle_month(parse_month(month), cutoff=cutoff or statement_day_cutoff(month))


def at_time(model_qs, field: str, when: dt.datetime):
    """Move a recorded event (confirmed_at, reversed_at) to a given time (fixture setup: the services' path)."""
    with money_writes():
        model_qs.update(**{field: when})
