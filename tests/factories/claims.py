"""Factories of the claims app: uploads, visits and their fee lines, settlements (and their reversals),
accumulators, the daily batch's records. (The smart-audit review's records are in review.py.)"""
import datetime

import factory
from factory.django import DjangoModelFactory

from claims import models as claims
from policy_rules import models as policy

from .common import D, local_dt
from .insurance import InstitutionFactory, PersonFactory
from .policy_rules import PolicyVersionFactory


class UploadFactory(DjangoModelFactory):
    class Meta:
        model = claims.Upload

    institution = factory.SubFactory(InstitutionFactory)
    source = claims.UploadSource.API
    line_count = 1


class UploadJobFactory(DjangoModelFactory):
    """Saving one writes its file under MEDIA_ROOT; point MEDIA_ROOT at a temporary directory first."""

    class Meta:
        model = claims.UploadJob

    institution = factory.SubFactory(InstitutionFactory)
    file = factory.django.FileField(
        filename="lines.csv",
        data=b"mdtrt_id,feedetl_sn,med_list_codg,cnt,pric,det_item_fee_sumamt\nM1,1,XA01,1,10.00,10.00\n",
    )
    file_name = "lines.csv"
    rows_total = 1


class VisitFactory(DjangoModelFactory):
    class Meta:
        model = claims.Visit

    mdtrt_id = factory.Sequence(lambda n: f"M{n:010d}")
    person = factory.SubFactory(PersonFactory)
    institution = factory.SubFactory(InstitutionFactory)
    med_type = claims.MedType.INPATIENT
    begntime = factory.LazyFunction(lambda: local_dt(2026, 3, 2, 9, 0))
    endtime = factory.LazyAttribute(lambda o: o.begntime + datetime.timedelta(days=8))
    diagnoses = factory.LazyFunction(lambda: ["I10"])
    status = claims.VisitStatus.DISCHARGED


class FeeLineFactory(DjangoModelFactory):
    class Meta:
        model = claims.FeeLine

    visit = factory.SubFactory(VisitFactory)
    feedetl_sn = factory.Sequence(lambda n: str(n + 1))
    med_list_codg = "XA01ABD075A002010100483"
    cnt = D("20")
    pric = D("1.50")
    det_item_fee_sumamt = D("30.00")
    bilg_dept_codg = "A03"


class SettlementFactory(DjangoModelFactory):
    """A consistent employee inpatient settlement: 1000 in scope, deductible 200, 90% of the rest."""

    class Meta:
        model = claims.Settlement

    setl_id = factory.Sequence(lambda n: f"S{n:010d}")
    visit = factory.SubFactory(VisitFactory)
    person = factory.SelfAttribute("visit.person")
    institution = factory.SelfAttribute("visit.institution")
    policy_version = factory.SubFactory(PolicyVersionFactory)
    setl_time = factory.LazyAttribute(lambda o: o.visit.endtime or o.visit.begntime)
    med_type = factory.SelfAttribute("visit.med_type")
    medfee_sumamt = D("1000.00")
    fulamt_ownpay_amt = D("0.00")
    overlmt_selfpay = D("0.00")
    preselfpay_amt = D("0.00")
    inscp_scp_amt = D("1000.00")
    act_pay_dedc = D("200.00")
    hifp_pay = D("720.00")
    hifob_pay = D("0.00")
    hifmi_pay = D("0.00")
    maf_pay = D("0.00")
    fund_pay_sumamt = D("720.00")
    psn_part_amt = D("280.00")
    acct_pay = D("80.00")
    psn_cash_pay = D("200.00")
    balc = D("1120.00")


class PaidSettlementFactory(SettlementFactory):
    """A settlement given by what each fund paid (hifp_pay, hifob_pay, hifmi_pay, maf_pay) and what the person
    paid in cash (psn_part): all of it in scope, no deductible, no personal account; the fund-budget tests'
    settlements. The totals follow, so the amount invariants the database enforces hold."""

    class Params:
        psn_part = D("0")

    hifp_pay = D("0")
    hifob_pay = D("0")
    hifmi_pay = D("0")
    maf_pay = D("0")
    fund_pay_sumamt = factory.LazyAttribute(lambda o: o.hifp_pay + o.hifob_pay + o.hifmi_pay + o.maf_pay)
    medfee_sumamt = factory.LazyAttribute(lambda o: o.fund_pay_sumamt + o.psn_part)
    inscp_scp_amt = factory.SelfAttribute("medfee_sumamt")
    fulamt_ownpay_amt = D("0")
    overlmt_selfpay = D("0")
    preselfpay_amt = D("0")
    act_pay_dedc = D("0")
    psn_part_amt = factory.SelfAttribute("psn_part")
    acct_pay = D("0")
    psn_cash_pay = factory.SelfAttribute("psn_part")
    balc = None


class ReversalFactory(SettlementFactory):
    """The cancellation (冲销) of a settlement: the same positive amounts with kind reversal. Mark the reversed
    settlement cancelled (status) first, as claims' cancel service does."""

    kind = claims.SettlementKind.REVERSAL
    reverses = factory.SubFactory(SettlementFactory, status=claims.SettlementStatus.CANCELLED)
    visit = factory.SelfAttribute("reverses.visit")
    person = factory.SelfAttribute("reverses.person")
    institution = factory.SelfAttribute("reverses.institution")
    policy_version = factory.SelfAttribute("reverses.policy_version")
    med_type = factory.SelfAttribute("reverses.med_type")
    reason = "测试撤销"
    medfee_sumamt = factory.SelfAttribute("reverses.medfee_sumamt")
    fulamt_ownpay_amt = factory.SelfAttribute("reverses.fulamt_ownpay_amt")
    overlmt_selfpay = factory.SelfAttribute("reverses.overlmt_selfpay")
    preselfpay_amt = factory.SelfAttribute("reverses.preselfpay_amt")
    inscp_scp_amt = factory.SelfAttribute("reverses.inscp_scp_amt")
    act_pay_dedc = factory.SelfAttribute("reverses.act_pay_dedc")
    hifp_pay = factory.SelfAttribute("reverses.hifp_pay")
    hifob_pay = factory.SelfAttribute("reverses.hifob_pay")
    hifmi_pay = factory.SelfAttribute("reverses.hifmi_pay")
    maf_pay = factory.SelfAttribute("reverses.maf_pay")
    fund_pay_sumamt = factory.SelfAttribute("reverses.fund_pay_sumamt")
    psn_part_amt = factory.SelfAttribute("reverses.psn_part_amt")
    acct_pay = factory.SelfAttribute("reverses.acct_pay")
    psn_cash_pay = factory.SelfAttribute("reverses.psn_cash_pay")
    balc = None


class SettlementLineFactory(DjangoModelFactory):
    class Meta:
        model = claims.SettlementLine

    settlement = factory.SubFactory(SettlementFactory)
    fee_line = factory.SubFactory(FeeLineFactory, visit=factory.SelfAttribute("..settlement.visit"))
    feedetl_sn = factory.SelfAttribute("fee_line.feedetl_sn")
    det_item_fee_sumamt = D("30.00")
    fulamt_ownpay_amt = D("0.00")
    overlmt_selfpay = D("0.00")
    preselfpay_amt = D("0.00")
    inscp_scp_amt = D("30.00")
    chrgitm_lv = policy.ChrgLv.CLASS_A


class AccumulatorFactory(DjangoModelFactory):
    class Meta:
        model = claims.Accumulator

    person = factory.SubFactory(PersonFactory)
    year = 2026
    kind = claims.AccumulatorKind.CAP_PAID
    key = "employee_pool"
    amount = D("720.00")


class SettlementAccumulationFactory(DjangoModelFactory):
    class Meta:
        model = claims.SettlementAccumulation

    settlement = factory.SubFactory(SettlementFactory)
    kind = claims.AccumulatorKind.CAP_PAID
    key = "employee_pool"
    year = 2026
    delta = D("720.00")


class DailyJobFactory(DjangoModelFactory):
    class Meta:
        model = claims.DailyJob

    run_date = factory.Sequence(lambda n: datetime.date(2026, 1, 1) + datetime.timedelta(days=n))
    status = claims.JobStatus.DONE
    started_at = factory.LazyAttribute(lambda o: local_dt(o.run_date.year, o.run_date.month, o.run_date.day, 2, 30))
    finished_at = factory.LazyAttribute(lambda o: o.started_at + datetime.timedelta(minutes=12))
    chunks_total = 4
    chunks_done = 4
    lines_classified = 120
    visits_settled = 10
    visits_held = 1


class InstitutionAuditStatsFactory(DjangoModelFactory):
    class Meta:
        model = claims.InstitutionAuditStats

    day = datetime.date(2026, 3, 16)
    institution = factory.SubFactory(InstitutionFactory)
    by_med_type = factory.LazyFunction(lambda: {"11": [15000, 120], "21": [850000, 14]})


class InstitutionDailySummaryFactory(DjangoModelFactory):
    class Meta:
        model = claims.InstitutionDailySummary

    job = factory.SubFactory(DailyJobFactory)
    institution = factory.SubFactory(InstitutionFactory)
    lines = 30
    medfee_sumamt = D("5000.00")
    fund_pay_sumamt = D("3600.00")
    settled = 3
    held = 0
    rejected = 0


class QuarantinedVisitFactory(DjangoModelFactory):
    class Meta:
        model = claims.QuarantinedVisit

    visit = factory.SubFactory(VisitFactory)
    job = factory.SubFactory(DailyJobFactory)
    chunk_no = 2
    reason = claims.QuarantineReason.DATE_OUT_OF_RANGE
    field = "begntime"


FACTORIES = {
    "claims.upload": UploadFactory,
    "claims.visit": VisitFactory,
    "claims.feeline": FeeLineFactory,
    "claims.settlement": SettlementFactory,
    "claims.settlementline": SettlementLineFactory,
    "claims.accumulator": AccumulatorFactory,
    "claims.settlementaccumulation": SettlementAccumulationFactory,
    "claims.dailyjob": DailyJobFactory,
    "claims.institutiondailysummary": InstitutionDailySummaryFactory,
    "claims.institutionauditstats": InstitutionAuditStatsFactory,
    "claims.quarantinedvisit": QuarantinedVisitFactory,
}
