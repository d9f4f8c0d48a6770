"""Factories of the fund_budget app (FACTORIES: every model's by its label; FUND_READ_ONLY lists the
models whose admin is read-only)."""
import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from fund_budget import models as fb

from .common import D
from .common import local_dt as _aware
from .insurance import InstitutionFactory, UserFactory


class FundYearParametersFactory(DjangoModelFactory):
    class Meta:
        model = fb.FundYearParameters
        django_get_or_create = ("year", "region")

    year = 2026
    region = ""
    withholding_rate = D("0.05")
    retain_share_a, retain_share_aa, retain_share_aaa = D("0.4"), D("0.5"), D("0.6")
    retain_ceiling = D("0.15")
    overspend_tolerance = D("0.10")
    overspend_share_a, overspend_share_aa, overspend_share_aaa = D("0.5"), D("0.6"), D("0.7")
    up_factor = D("0.03")
    down_factor = D("0.03")


class FundThresholdFactory(DjangoModelFactory):
    class Meta:
        model = fb.FundThreshold

    parameters = factory.SubFactory(FundYearParametersFactory)
    fund = fb.Fund.EMPLOYEE_POOL
    item_by_item_threshold = D("500000")


class FundBudgetFactory(DjangoModelFactory):
    class Meta:
        model = fb.FundBudget

    year = factory.Sequence(lambda n: 2026 + n)
    region = "410800"
    fund = fb.Fund.EMPLOYEE_POOL
    amount = D("1200000000")


class DistrictBudgetFactory(DjangoModelFactory):
    class Meta:
        model = fb.DistrictBudget

    budget = factory.SubFactory(FundBudgetFactory)
    district = factory.Sequence(lambda n: f"4108{n % 100:02d}")
    name = "解放区"
    amount = D("300000000")


class InstitutionIndexFactory(DjangoModelFactory):
    class Meta:
        model = fb.InstitutionIndex

    year = 2026
    institution = factory.SubFactory(InstitutionFactory)
    fund = fb.Fund.EMPLOYEE_POOL
    agreed_amount = D("10000000")
    rating = fb.Rating.AA
    assessment_score = D("95")
    status = fb.IndexStatus.AGREED


class IndexNegotiationFactory(DjangoModelFactory):
    class Meta:
        model = fb.IndexNegotiation

    index = factory.SubFactory(InstitutionIndexFactory, status=fb.IndexStatus.NEGOTIATING, agreed_amount=None)
    state = fb.NegotiationState.PROPOSED
    proposed_amount = D("11000000")


class NegotiationStepFactory(DjangoModelFactory):
    class Meta:
        model = fb.NegotiationStep

    negotiation = factory.SubFactory(IndexNegotiationFactory)
    seq = factory.Sequence(lambda n: n + 1)
    action = fb.NegotiationAction.PROPOSE
    from_state = fb.NegotiationState.OPEN
    to_state = fb.NegotiationState.PROPOSED
    amount = D("11000000")


class AuditDeductionFactory(DjangoModelFactory):
    class Meta:
        model = fb.AuditDeduction

    institution = factory.SubFactory(InstitutionFactory)
    amount = D("1200.00")
    reason = "重复收费"
    source_type = "audit.suspect"
    source_id = factory.Sequence(str)
    confirmed_at = factory.LazyFunction(lambda: _aware(2026, 3, 20, 10))


class PaymentStandardFactory(DjangoModelFactory):
    class Meta:
        model = fb.PaymentStandard

    year = 2026
    level = 2
    med_type = "21"
    method = fb.PaymentMethod.PER_BED_DAY
    standard = D("300")


class CapitationContractFactory(DjangoModelFactory):
    class Meta:
        model = fb.CapitationContract

    institution = factory.SubFactory(InstitutionFactory, level=0)
    year = 2026
    heads = 1000
    monthly_rate = D("12.50")
    covered_med_type = "11"


class CapitationPenaltyFactory(DjangoModelFactory):
    class Meta:
        model = fb.CapitationPenalty

    contract = factory.SubFactory(CapitationContractFactory)
    date = datetime.date(2026, 3, 15)
    amount = D("500")
    reason = "推诿签约患者"


class CapitationReconciliationFactory(DjangoModelFactory):
    class Meta:
        model = fb.CapitationReconciliation

    contract = factory.SubFactory(CapitationContractFactory)
    months = 12
    monthly_total = D("150000")
    penalty_total = D("500")
    net = D("149500")
    computed_at = factory.LazyFunction(timezone.now)


class ChronicCapitationReconciliationFactory(DjangoModelFactory):
    class Meta:
        model = fb.ChronicCapitationReconciliation

    institution = factory.SubFactory(InstitutionFactory)
    year = 2026
    months = 12
    monthly_total = D("4440")
    net = D("4440")
    computed_at = factory.LazyFunction(timezone.now)


class MonthlyRunFactory(DjangoModelFactory):
    class Meta:
        model = fb.MonthlyRun
        django_get_or_create = ("month", "sequence")

    month = datetime.date(2026, 3, 1)
    sequence = 1
    cutoff = factory.LazyFunction(lambda: _aware(2026, 4, 10, 5))


class MonthlyStatementFactory(DjangoModelFactory):
    class Meta:
        model = fb.MonthlyStatement

    run = factory.SubFactory(MonthlyRunFactory)
    institution = factory.SubFactory(InstitutionFactory)
    month = datetime.date(2026, 3, 1)
    withholding_rate = D("0.05")
    visit_count = 3
    fund_amount = D("1000.00")
    ffs_fund_amount = D("1000.00")
    withheld = D("50.00")
    payable = D("950.00")
    net_payable = D("950.00")
    payment_due = datetime.date(2026, 4, 15)
    issued_at = factory.LazyFunction(timezone.now)


class StatementLineFactory(DjangoModelFactory):
    class Meta:
        model = fb.StatementLine

    statement = factory.SubFactory(MonthlyStatementFactory)
    fund = fb.Fund.EMPLOYEE_POOL
    amount = D("1000.00")
    withheld = D("50.00")
    deductions = D("0.00")


class StatementMethodLineFactory(DjangoModelFactory):
    class Meta:
        model = fb.StatementMethodLine

    statement = factory.SubFactory(MonthlyStatementFactory)
    method = fb.PaymentMethod.FEE_FOR_SERVICE
    visits = 3
    ffs_fund_amount = D("1000.00")
    claim_amount = D("1000.00")
    gain_loss = D("0.00")


class DisbursementFactory(DjangoModelFactory):
    class Meta:
        model = fb.Disbursement

    statement = factory.SubFactory(MonthlyStatementFactory)
    institution = factory.SelfAttribute("statement.institution")
    kind = fb.DisbursementKind.MONTHLY
    amount = D("950.00")
    due_date = datetime.date(2026, 4, 15)


class ClearingReportFactory(DjangoModelFactory):
    class Meta:
        model = fb.ClearingReport

    index = factory.SubFactory(InstitutionIndexFactory, year=2025)
    year = 2025
    institution = factory.SelfAttribute("index.institution")
    fund = fb.Fund.EMPLOYEE_POOL
    side = fb.ClearingSide.UNDER
    rating = fb.Rating.AA
    assessment_score = D("95")
    index_amount = D("10000000")
    fund_total = D("9000000")
    deductions = D("0")
    actual = D("9000000")
    withheld = D("450000")
    retained = D("500000")
    due = D("9500000")
    returned = D("427500")
    final = D("927500")
    next_base = D("10300000")
    computed_at = factory.LazyFunction(timezone.now)


class ClearingLineFactory(DjangoModelFactory):
    class Meta:
        model = fb.ClearingLine

    report = factory.SubFactory(ClearingReportFactory)
    seq = factory.Sequence(lambda n: n + 1)
    key = "final"
    label = "清算额"
    formula = "9500000 − 9000000 + 427500"
    amount = D("927500")


class MonthReopeningRequestFactory(DjangoModelFactory):
    class Meta:
        model = fb.MonthReopeningRequest

    run = factory.SubFactory(MonthlyRunFactory)
    reason = "漏结一笔结算"
    requested_by = factory.SubFactory(UserFactory)


class MonthReopeningApprovalFactory(DjangoModelFactory):
    class Meta:
        model = fb.MonthReopeningApproval

    request = factory.SubFactory(MonthReopeningRequestFactory)
    approved_by = factory.SubFactory(UserFactory)


class SupersededStatementFactory(DjangoModelFactory):
    class Meta:
        model = fb.SupersededStatement

    statement = factory.SubFactory(MonthlyStatementFactory)
    approval = factory.SubFactory(MonthReopeningApprovalFactory, request__run=factory.SelfAttribute("...statement.run"))


FACTORIES = {
    "fund_budget.fundyearparameters": FundYearParametersFactory,
    "fund_budget.fundthreshold": FundThresholdFactory,
    "fund_budget.fundbudget": FundBudgetFactory,
    "fund_budget.districtbudget": DistrictBudgetFactory,
    "fund_budget.institutionindex": InstitutionIndexFactory,
    "fund_budget.indexnegotiation": IndexNegotiationFactory,
    "fund_budget.negotiationstep": NegotiationStepFactory,
    "fund_budget.auditdeduction": AuditDeductionFactory,
    "fund_budget.paymentstandard": PaymentStandardFactory,
    "fund_budget.capitationcontract": CapitationContractFactory,
    "fund_budget.capitationpenalty": CapitationPenaltyFactory,
    "fund_budget.capitationreconciliation": CapitationReconciliationFactory,
    "fund_budget.chroniccapitationreconciliation": ChronicCapitationReconciliationFactory,
    "fund_budget.monthlyrun": MonthlyRunFactory,
    "fund_budget.monthlystatement": MonthlyStatementFactory,
    "fund_budget.statementline": StatementLineFactory,
    "fund_budget.statementmethodline": StatementMethodLineFactory,
    "fund_budget.disbursement": DisbursementFactory,
    "fund_budget.clearingreport": ClearingReportFactory,
    "fund_budget.clearingline": ClearingLineFactory,
    "fund_budget.monthreopeningrequest": MonthReopeningRequestFactory,
    "fund_budget.monthreopeningapproval": MonthReopeningApprovalFactory,
    "fund_budget.supersededstatement": SupersededStatementFactory,
}
FUND_READ_ONLY = {
    "fund_budget.indexnegotiation", "fund_budget.negotiationstep", "fund_budget.auditdeduction",
    "fund_budget.capitationreconciliation", "fund_budget.chroniccapitationreconciliation", "fund_budget.monthlyrun", "fund_budget.monthlystatement",
    "fund_budget.statementline", "fund_budget.statementmethodline", "fund_budget.disbursement",
    "fund_budget.clearingreport", "fund_budget.clearingline", "fund_budget.monthreopeningrequest",
    "fund_budget.monthreopeningapproval", "fund_budget.supersededstatement",
}
