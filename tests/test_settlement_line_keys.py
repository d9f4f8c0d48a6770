"""Settlement lines' keys are checked per statement; settlements and fee lines are never deleted (PostgreSQL)."""
import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from claims.models import FeeLine, Settlement, SettlementLine
from core.ledger import money_writes
from tests.factories import FeeLineFactory, SettlementFactory, SettlementLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the key-check and append-only triggers exist on PostgreSQL only")


def test_a_line_of_a_settlement_that_does_not_exist_is_refused():
    fee_line = FeeLineFactory()
    with pytest.raises(IntegrityError, match="settlement_id: no such row in claims_settlement"), transaction.atomic():
        SettlementLine.objects.create(settlement_id=987654321, fee_line=fee_line, feedetl_sn=fee_line.feedetl_sn,
                                      det_item_fee_sumamt=0, fulamt_ownpay_amt=0, overlmt_selfpay=0,
                                      preselfpay_amt=0, inscp_scp_amt=0)
    assert not SettlementLine.objects.exists()


def test_a_line_of_a_fee_line_that_does_not_exist_is_refused_and_nothing_of_the_statement_is_kept():
    settlement = SettlementFactory()
    fee_line = FeeLineFactory()
    rows = [SettlementLine(settlement=settlement, fee_line=fee_line, feedetl_sn="1", det_item_fee_sumamt=0,
                           fulamt_ownpay_amt=0, overlmt_selfpay=0, preselfpay_amt=0, inscp_scp_amt=0),
            SettlementLine(settlement=settlement, fee_line_id=987654321, feedetl_sn="2", det_item_fee_sumamt=0,
                           fulamt_ownpay_amt=0, overlmt_selfpay=0, preselfpay_amt=0, inscp_scp_amt=0)]
    with pytest.raises(IntegrityError, match="fee_line_id: no such row in claims_feeline"), transaction.atomic():
        SettlementLine.objects.bulk_create(rows)
    assert not SettlementLine.objects.filter(settlement=settlement).exists()


def test_lines_sharing_settlements_are_refused_when_one_settlement_does_not_exist():
    settlements = [SettlementFactory(), SettlementFactory()]
    fee_lines = [FeeLineFactory() for _ in range(4)]

    def line(settlement_id, fee_line):
        return SettlementLine(settlement_id=settlement_id, fee_line=fee_line, feedetl_sn=fee_line.feedetl_sn,
                              det_item_fee_sumamt=0, fulamt_ownpay_amt=0, overlmt_selfpay=0, preselfpay_amt=0,
                              inscp_scp_amt=0)

    # each settlement's id probed once for its lines: the one missing among them still fails the statement
    rows = [line(settlements[0].pk, fee_lines[0]), line(settlements[0].pk, fee_lines[1]),
            line(987654321, fee_lines[2]), line(settlements[1].pk, fee_lines[3])]
    with pytest.raises(IntegrityError, match="settlement_id: no such row in claims_settlement"), transaction.atomic():
        SettlementLine.objects.bulk_create(rows)
    assert not SettlementLine.objects.exists()
    rows[2] = line(settlements[1].pk, fee_lines[2])
    SettlementLine.objects.bulk_create(rows)
    assert SettlementLine.objects.filter(settlement__in=settlements).count() == 4


def test_moving_a_line_to_a_settlement_that_does_not_exist_is_refused():
    line = SettlementLineFactory()
    # even on the services' path (outside it the append-only guard refuses the statement first)
    with pytest.raises(IntegrityError, match="no such row in claims_settlement"), money_writes():
        SettlementLine.objects.filter(pk=line.pk).update(settlement_id=987654321)
    line.refresh_from_db()
    assert Settlement.objects.filter(pk=line.settlement_id).exists()


def test_settlements_and_fee_lines_are_never_deleted_nor_renumbered():
    line = SettlementLineFactory()
    for model, pk in ((Settlement, line.settlement_id), (FeeLine, line.fee_line_id)):
        # in SQL, past Django's PROTECT, even on the services' path: the database itself refuses
        with pytest.raises(DatabaseError, match="no_delete"), money_writes(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE id = %s", [pk])
        with pytest.raises(DatabaseError, match="keep_id"), money_writes():
            model.objects.filter(pk=pk).update(id=pk + 1000000)
        assert model.objects.filter(pk=pk).exists()
