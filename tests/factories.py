"""factory-boy factories for every model of the domain apps."""
import datetime
import json
from decimal import Decimal
from pathlib import Path

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from factory.django import DjangoModelFactory

from claims import models as claims
from insurance import models as insurance
from insurance.validators import certno_check_digit
from policy_rules import models as policy
from review import models as review

ROOT = Path(__file__).resolve().parent.parent
DEMO_PACK_PATH = ROOT / "policy_rules" / "fixtures" / "demo-city-2026.json"
D = Decimal


def demo_pack(**overrides) -> dict:
    """A fresh copy of the demo policy pack, with top-level keys overridden."""
    doc = json.loads(DEMO_PACK_PATH.read_text(encoding="utf-8"))
    doc.update(overrides)
    return doc


def make_certno(n: int, birth_date: datetime.date, gender: str) -> str:
    """A valid identity number, unique per n (division code and sequence derived from n)."""
    division = f"41{n // 500 % 10000:04d}"
    sequence = (n % 500) * 2 + (1 if gender == insurance.Gender.MALE else 0)
    first17 = f"{division}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + certno_check_digit(first17)


def local_dt(*args) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"clerk{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = insurance.Person

    psn_no = factory.Sequence(lambda n: f"P{n:08d}")
    name = factory.Faker("name", locale="zh_CN")
    gender = factory.Iterator([insurance.Gender.MALE, insurance.Gender.FEMALE])
    birth_date = factory.Faker("date_between", start_date=datetime.date(1940, 1, 1), end_date=datetime.date(2020, 12, 31))
    certno = factory.LazyAttributeSequence(lambda o, n: make_certno(n, o.birth_date, o.gender))


class EnrollmentFactory(DjangoModelFactory):
    class Meta:
        model = insurance.Enrollment

    person = factory.SubFactory(PersonFactory)
    insutype = insurance.Insutype.EMPLOYEE
    psn_type = insurance.PsnType.IN_SERVICE
    enrolled_from = datetime.date(2020, 1, 1)
    enrolled_to = None
    paid_through = "2026-12"
    assistance_category = ""


class PersonalAccountFactory(DjangoModelFactory):
    class Meta:
        model = insurance.PersonalAccount

    person = factory.SubFactory(PersonFactory)
    balance = D("1200.00")


class AccountMovementFactory(DjangoModelFactory):
    class Meta:
        model = insurance.AccountMovement

    account = factory.SubFactory(PersonalAccountFactory)
    amount = D("300.00")
    balance_after = factory.LazyAttribute(lambda o: o.account.balance + o.amount)
    kind = insurance.MovementKind.CREDIT
    reason = "年度划入"


class InstitutionFactory(DjangoModelFactory):
    class Meta:
        model = insurance.Institution

    fixmedins_code = factory.Sequence(lambda n: f"H4108{n:07d}")
    name = factory.Sequence(lambda n: f"示范市第{n + 1}人民医院")
    level = insurance.InstitutionLevel.LEVEL_3
    kind = insurance.InstitutionKind.HOSPITAL
    designated = True
    region = "410800"


class InstitutionUserFactory(DjangoModelFactory):
    class Meta:
        model = insurance.InstitutionUser

    user = factory.SubFactory(UserFactory)
    institution = factory.SubFactory(InstitutionFactory)


class CatalogItemFactory(DjangoModelFactory):
    class Meta:
        model = policy.CatalogItem

    med_list_codg = factory.Sequence(lambda n: f"XA01ABD{n:016d}")
    name = factory.Iterator(["阿莫西林胶囊", "依那普利片", "血常规", "床位费(三人间)", "冠脉支架"])
    list_type = policy.ListType.DRUG
    chrg_lv = policy.ChrgLv.CLASS_A
    effective_from = datetime.date(2026, 1, 1)


class PolicyVersionFactory(DjangoModelFactory):
    class Meta:
        model = policy.PolicyVersion

    code = factory.Sequence(lambda n: f"TEST-{n}")
    name = "示范市基本医疗保险待遇政策"
    region = "410800"
    effective_from = datetime.date(2026, 1, 1)
    effective_to = datetime.date(2026, 12, 31)
    status = policy.PolicyStatus.ACTIVE
    document = factory.LazyAttribute(
        lambda o: demo_pack(code=o.code, name=o.name, region=o.region, effective_from=o.effective_from.isoformat(),
                            effective_to=o.effective_to.isoformat() if o.effective_to else None)
    )
    source_name = "demo-city-2026.json"


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


# --- smart-audit review (issue #5) -------------------------------------------------------------------------


class AuditRuleDefinitionFactory(DjangoModelFactory):
    class Meta:
        model = policy.AuditRuleDefinition

    code = factory.Sequence(lambda n: f"DUP-{n:03d}")
    name = "同一项目同一时间重复收费"
    rule_type = "duplicate_charge"
    params = factory.LazyFunction(dict)
    severity = policy.AuditSeverity.SUSPECT
    effective_from = datetime.date(2026, 1, 1)


class AuditHitFactory(DjangoModelFactory):
    class Meta:
        model = review.AuditHit

    rule = factory.SubFactory(AuditRuleDefinitionFactory)
    rule_code = factory.SelfAttribute("rule.code")
    rule_type = factory.SelfAttribute("rule.rule_type")
    severity = factory.SelfAttribute("rule.severity")
    stage = review.HitStage.SETTLEMENT
    settlement = factory.SubFactory(SettlementFactory)
    visit = factory.SelfAttribute("settlement.visit")
    institution = factory.SelfAttribute("settlement.institution")
    feedetl_sns = factory.LazyFunction(lambda: ["1", "2"])
    amount = D("30.00")
    evidence = "2026-03-05 血常规重复收取 2 次"
    key = factory.Sequence(lambda n: f"{n:064d}")


class SuspectItemFactory(DjangoModelFactory):
    class Meta:
        model = review.SuspectItem

    settlement = factory.SubFactory(SettlementFactory)
    visit = factory.SelfAttribute("settlement.visit")
    institution = factory.SelfAttribute("settlement.institution")
    rule = factory.SubFactory(AuditRuleDefinitionFactory)
    amount_at_stake = D("30.00")


class AppealFactory(DjangoModelFactory):
    class Meta:
        model = review.Appeal

    item = factory.SubFactory(SuspectItemFactory, state=review.SuspectState.APPEALED, confirmed_amount=D("30.00"),
                              confirmed_at=factory.LazyFunction(timezone.now))
    institution = factory.SelfAttribute("item.institution")
    explanation = "复查有医嘱"
    filed_at = factory.LazyFunction(timezone.now)


class ReviewEventFactory(DjangoModelFactory):
    class Meta:
        model = review.ReviewEvent

    item = factory.SubFactory(SuspectItemFactory)
    visit = factory.SelfAttribute("item.visit")
    action = review.ReviewAction.OPENED
    to_state = review.SuspectState.PENDING
    amount = D("30.00")
    reason = "规则命中"
