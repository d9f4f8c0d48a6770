"""claims models: visits, fee lines, settlements and their lines, accumulators, the daily job."""
import contextlib
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from claims.models import (
    SETTLEMENT_AMOUNT_FIELDS,
    AccumulatorKind,
    FeeLineStatus,
    SettlementKind,
    SettlementStatus,
    Visit,
)
from core.ledger import money_writes
from tests.factories import (
    AccumulatorFactory,
    DailyJobFactory,
    FeeLineFactory,
    InstitutionDailySummaryFactory,
    SettlementAccumulationFactory,
    SettlementFactory,
    SettlementLineFactory,
    UploadFactory,
    UploadJobFactory,
    VisitFactory,
    local_dt,
)

pytestmark = pytest.mark.django_db
D = Decimal


@contextlib.contextmanager
def refused(match=None):
    """Expect an IntegrityError inside a savepoint, so the test's transaction survives it."""
    with pytest.raises(IntegrityError, match=match), transaction.atomic():
        yield


# --- Visit ------------------------------------------------------------------------------------------

def test_visit_endtime_before_begntime_is_refused():
    begin = local_dt(2026, 3, 2, 9, 0)
    with refused("endtime_after_begntime"):
        VisitFactory(begntime=begin, endtime=begin - datetime.timedelta(minutes=1))
    visit = VisitFactory.build(begntime=begin, endtime=begin - datetime.timedelta(minutes=1))
    visit.person.save()
    visit.institution.save()
    with pytest.raises(ValidationError) as exc:
        visit.full_clean()
    assert "endtime" in exc.value.message_dict


def test_visit_open_endtime_is_allowed():
    visit = VisitFactory(endtime=None)
    assert Visit.objects.get(pk=visit.pk).endtime is None


def test_visit_duplicate_mdtrt_id_is_refused():
    VisitFactory(mdtrt_id="M0001")
    with refused():
        VisitFactory(mdtrt_id="M0001")


@pytest.mark.parametrize("med_type", ["11", "14", "21", "51", "9901"])
def test_visit_med_type_accepts_any_national_code(med_type):
    visit = VisitFactory(med_type=med_type)
    visit.full_clean()


@pytest.mark.parametrize(("fields", "field"), [({"med_type": "inpt"}, "med_type"), ({"med_type": "1"}, "med_type"),
                                               ({"status": "paid"}, "status"), ({"diagnoses": "I10"}, "diagnoses"),
                                               ({"mdtrt_id": ""}, "mdtrt_id")])
def test_visit_bad_inputs_name_the_field(fields, field):
    visit = VisitFactory()
    for name, value in fields.items():
        setattr(visit, name, value)
    with pytest.raises(ValidationError) as exc:
        visit.full_clean()
    assert field in exc.value.message_dict


def test_visit_status_is_checked_by_the_database():
    with refused("status"):
        VisitFactory(status="paid")


def test_visit_med_type_label():
    assert VisitFactory.build(med_type="21").med_type_label == "普通住院"
    assert VisitFactory.build(med_type="51").med_type_label == "生育门诊"
    assert VisitFactory.build(med_type="99").med_type_label == "99"  # a code with no label shows as itself


# --- FeeLine ----------------------------------------------------------------------------------------

def test_fee_line_serial_is_unique_within_a_visit_only():
    line = FeeLineFactory(feedetl_sn="1")
    FeeLineFactory(feedetl_sn="1")  # another visit
    with refused("visit_sn_uniq"):
        FeeLineFactory(visit=line.visit, feedetl_sn="1")
    assert line.visit.lines.count() == 1


@pytest.mark.parametrize(
    "field", ["det_item_fee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt"]
)
def test_fee_line_negative_amounts_are_refused(field):
    with refused(f"{field}_gte_0"):
        FeeLineFactory(**{field: D("-0.01")})


def test_fee_line_classification_is_null_until_classified():
    line = FeeLineFactory()
    assert (line.fulamt_ownpay_amt, line.inscp_scp_amt, line.reason) == (None, None, "")


def test_fee_line_cancellation_needs_a_time_and_only_then():
    with refused("cancelled_at"):
        FeeLineFactory(status=FeeLineStatus.CANCELLED)
    with refused("cancelled_at"):
        FeeLineFactory(cancelled_at=timezone.now())
    line = FeeLineFactory(status=FeeLineStatus.CANCELLED, cancelled_at=timezone.now())
    assert line.status == "cancelled"
    line.cancelled_at = None
    with pytest.raises(ValidationError) as exc:
        line.full_clean()
    assert "cancelled_at" in exc.value.message_dict


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"det_item_fee_sumamt": D("-1.00")}, "det_item_fee_sumamt"),
        ({"det_item_fee_sumamt": D("1.234")}, "det_item_fee_sumamt"),
        ({"cnt": D("1.23456")}, "cnt"),
        ({"pric": D("1.23456")}, "pric"),
        ({"inscp_scp_amt": D("-5")}, "inscp_scp_amt"),
        ({"feedetl_sn": ""}, "feedetl_sn"),
        ({"status": "deleted"}, "status"),
    ],
)
def test_fee_line_bad_inputs_name_the_field(fields, field):
    line = FeeLineFactory()
    for name, value in fields.items():
        setattr(line, name, value)
    with pytest.raises(ValidationError) as exc:
        line.full_clean()
    assert field in exc.value.message_dict


def test_fee_line_keeps_four_decimals_of_quantity_and_price():
    line = FeeLineFactory(cnt=D("0.3333"), pric=D("12.3456"), det_item_fee_sumamt=D("4.11"),
                          upload=UploadFactory())
    line.refresh_from_db()
    assert (line.cnt, line.pric, line.det_item_fee_sumamt) == (D("0.3333"), D("12.3456"), D("4.11"))
    assert line.upload.lines.get() == line


# --- Settlement ---------------------------------------------------------------------------------

def test_factory_settlement_is_consistent():
    settlement = SettlementFactory()
    settlement.full_clean()
    assert settlement.fund_pay_sumamt + settlement.psn_part_amt == settlement.medfee_sumamt


@pytest.mark.parametrize("field", SETTLEMENT_AMOUNT_FIELDS + ("balc",))
def test_settlement_negative_amounts_are_refused(field):
    with refused():
        SettlementFactory(**{field: D("-0.01")})
    settlement = SettlementFactory.build(**{field: D("-0.01")})
    with pytest.raises(ValidationError) as exc:
        settlement.clean_fields(exclude=["visit", "person", "institution", "policy_version"])
    assert field in exc.value.message_dict


def test_settlement_negative_amount_is_refused_by_its_own_check():
    # keeping every sum right, only the non-negativity of acct_pay is broken
    with refused("acct_pay_gte_0"):
        SettlementFactory(acct_pay=D("-10.00"), psn_cash_pay=D("290.00"))


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"inscp_scp_amt": D("999.99")}, "parts_sum"),
        ({"fund_pay_sumamt": D("700.00"), "psn_part_amt": D("300.00"), "psn_cash_pay": D("220.00")}, "fund_sum"),
        ({"psn_part_amt": D("281.00"), "psn_cash_pay": D("201.00")}, "fund_plus_personal"),
        ({"psn_cash_pay": D("199.99")}, "account_plus_cash"),
    ],
)
def test_settlement_sums_are_checked(fields, constraint):
    with refused(constraint):
        SettlementFactory(**fields)


def test_at_most_one_settled_settlement_per_visit():
    first = SettlementFactory()
    with refused("one_settled_per_visit"):
        SettlementFactory(visit=first.visit)
    first.status = SettlementStatus.CANCELLED
    with money_writes():  # as cancel_settlement does
        first.save()
    reversal = SettlementFactory(visit=first.visit, kind=SettlementKind.REVERSAL, reverses=first)
    again = SettlementFactory(visit=first.visit)
    assert first.reversal == reversal
    assert set(first.visit.settlements.filter(status="settled")) == {reversal, again}


def test_reversal_shape():
    original = SettlementFactory(status=SettlementStatus.CANCELLED)
    with refused("reversal_shape"):  # a reversal names what it reverses
        SettlementFactory(visit=original.visit, kind=SettlementKind.REVERSAL)
    with refused("reversal_shape"):  # a reversal is never itself cancelled
        SettlementFactory(visit=original.visit, kind=SettlementKind.REVERSAL, reverses=original,
                          status=SettlementStatus.CANCELLED)
    with refused("reversal_shape"):  # a settlement reverses nothing
        SettlementFactory(visit=original.visit, reverses=original, status=SettlementStatus.CANCELLED)
    SettlementFactory(visit=original.visit, kind=SettlementKind.REVERSAL, reverses=original)
    with refused():  # only one reversal per settlement
        SettlementFactory(visit=original.visit, kind=SettlementKind.REVERSAL, reverses=original)


def test_settlement_duplicate_setl_id_is_refused():
    SettlementFactory(setl_id="S1")
    with refused():
        SettlementFactory(setl_id="S1")


def test_settlement_changes_are_tracked_on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("pghistory triggers exist on PostgreSQL only")
    settlement = SettlementFactory()
    settlement.status = SettlementStatus.CANCELLED
    with money_writes():  # as cancel_settlement does
        settlement.save()
    assert list(settlement.events.order_by("pgh_id").values_list("status", flat=True)) == ["settled", "cancelled"]


# --- SettlementLine -----------------------------------------------------------------------------

def test_settlement_line_parts_must_sum_to_the_amount():
    line = SettlementLineFactory()
    assert line.fee_line.visit_id == line.settlement.visit_id
    with refused("parts_sum"):
        SettlementLineFactory(settlement=line.settlement, inscp_scp_amt=D("29.99"))


@pytest.mark.parametrize("field", ["fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt"])
def test_settlement_line_negative_parts_are_refused(field):
    with refused():
        SettlementLineFactory(**{field: D("-1.00"), "det_item_fee_sumamt": D("30.00")})


def test_settlement_line_is_unique_per_fee_line():
    line = SettlementLineFactory()
    with refused("settlement_line_uniq"):
        SettlementLineFactory(settlement=line.settlement, fee_line=line.fee_line)


# --- Accumulators ---------------------------------------------------------------------------------

def test_accumulator_slot_is_unique():
    slot = AccumulatorFactory()
    AccumulatorFactory(person=slot.person, key="employee_outpatient")
    AccumulatorFactory(person=slot.person, year=2027)
    with refused("slot_uniq"):
        AccumulatorFactory(person=slot.person)


def test_accumulator_amount_may_not_be_negative_and_kind_is_checked():
    with refused("amount_gte_0"):
        AccumulatorFactory(amount=D("-0.01"))
    with refused("kind"):
        AccumulatorFactory(kind="mystery")


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"kind": AccumulatorKind.ADMISSIONS, "key": "", "amount": D("1.5")}, "amount"),
     ({"amount": D("-1")}, "amount"), ({"kind": "mystery"}, "kind")],
)
def test_accumulator_bad_inputs_name_the_field(fields, field):
    slot = AccumulatorFactory.build(**fields)
    slot.person.save()
    with pytest.raises(ValidationError) as exc:
        slot.full_clean()
    assert field in exc.value.message_dict


def test_admissions_are_whole_numbers():
    slot = AccumulatorFactory(kind=AccumulatorKind.ADMISSIONS, key="", amount=D("2"))
    slot.full_clean()
    assert slot.amount == 2


def test_settlement_accumulation_records_signed_deltas_once_per_slot():
    settlement = SettlementFactory()
    SettlementAccumulationFactory(settlement=settlement, delta=D("720.00"))
    SettlementAccumulationFactory(settlement=settlement, kind=AccumulatorKind.DEDUCTIBLE_USED, key="21",
                                  delta=D("200.00"))
    reversal_delta = SettlementAccumulationFactory(kind=AccumulatorKind.CAP_PAID, delta=D("-720.00"))
    assert reversal_delta.delta == D("-720.00")
    assert settlement.accumulations.count() == 2
    with refused("slot_uniq"):
        SettlementAccumulationFactory(settlement=settlement)


# --- Daily job ----------------------------------------------------------------------------------------

def test_daily_job_is_unique_per_day_and_consistent():
    job = DailyJobFactory(run_date=datetime.date(2026, 3, 16))
    with refused():
        DailyJobFactory(run_date=datetime.date(2026, 3, 16))
    with refused("chunks"):
        DailyJobFactory(chunks_total=2, chunks_done=3)
    with refused("finished_after_started"):
        DailyJobFactory(started_at=job.started_at, finished_at=job.started_at - datetime.timedelta(seconds=1))
    with refused("status"):
        DailyJobFactory(status="stuck")


def test_institution_daily_summary_unique_per_job_and_institution():
    summary = InstitutionDailySummaryFactory()
    InstitutionDailySummaryFactory(job=summary.job)  # another institution
    with refused("job_inst_uniq"):
        InstitutionDailySummaryFactory(job=summary.job, institution=summary.institution)
    with refused("medfee_sumamt_gte_0"):
        InstitutionDailySummaryFactory(medfee_sumamt=D("-1"))
    assert summary.job.summaries.count() == 2


def test_upload_job_counts_are_checked(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    job = UploadJobFactory()
    assert job.file.name.endswith(".csv") and (tmp_path / job.file.name).exists()
    with refused("rows_done"):
        UploadJobFactory(rows_total=1, rows_done=2)
    with refused("accepted_rejected"):
        UploadJobFactory(rows_total=2, accepted=2, rejected=1)
