"""Append-only money in the fund tables (issue 15): deductions, disbursements and clearing are changed by the
fund services only (a reversal, a payment, a draft's recomputation); statements never. UPDATE and DELETE
outside the services fail, in SQL and through the ORM; the admin offers no change form."""
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection

from core.ledger import money_writes
from fund_budget.models import (
    AuditDeduction,
    ClearingLine,
    ClearingReport,
    Disbursement,
    DisbursementStatus,
    MonthlyRun,
    MonthlyStatement,
    StatementLine,
    StatementMethodLine,
)
from fund_budget.services import pay_disbursements, reverse_deduction
from tests import factories as f
from tests.append_only import (
    admin_offers_no_change,
    allowed_on_services_path,
    money_guarded_models,
    refused_everywhere,
)

pytestmark = [pytest.mark.django_db, pytest.mark.skipif("connection.vendor != 'postgresql'")]

D = Decimal

MONEY_TABLES = {
    AuditDeduction: (f.AuditDeductionFactory, "amount", D("1.00")),
    Disbursement: (f.DisbursementFactory, "amount", D("1.00")),
    ClearingReport: (f.ClearingReportFactory, "final", D("1.00")),
    ClearingLine: (f.ClearingLineFactory, "amount", D("1.00")),
}
STATEMENTS = {  # refused to everybody, the services too (pgtrigger.Protect)
    MonthlyRun: f.MonthlyRunFactory, MonthlyStatement: f.MonthlyStatementFactory,
    StatementLine: f.StatementLineFactory, StatementMethodLine: f.StatementMethodLineFactory,
}


def test_every_guarded_fund_table_is_tested_here():
    assert money_guarded_models("fund_budget") == {m._meta.label for m in MONEY_TABLES}


@pytest.mark.parametrize("model", MONEY_TABLES, ids=lambda m: m._meta.label)
def test_update_and_delete_outside_the_services_fail(model):
    factory, field, value = MONEY_TABLES[model]
    refused_everywhere(factory(), field, value)


@pytest.mark.parametrize("model", MONEY_TABLES, ids=lambda m: m._meta.label)
def test_the_services_path_still_writes(model):
    factory, field, value = MONEY_TABLES[model]
    allowed_on_services_path(factory(), field, value)


@pytest.mark.parametrize("model", STATEMENTS, ids=lambda m: m._meta.label)
def test_statements_are_never_changed_even_by_the_services(model):
    obj = STATEMENTS[model]()
    for statement in (f"UPDATE {model._meta.db_table} SET id = id WHERE id = %s",
                      f"DELETE FROM {model._meta.db_table} WHERE id = %s"):
        with pytest.raises(DatabaseError, match="pgtrigger"), money_writes(), connection.cursor() as cursor:
            cursor.execute(statement, [obj.pk])


@pytest.mark.parametrize("model", [*MONEY_TABLES, *STATEMENTS], ids=lambda m: m._meta.label)
def test_the_admin_offers_no_change_form(model, admin_user):
    (MONEY_TABLES[model][0] if model in MONEY_TABLES else STATEMENTS[model])()
    admin_offers_no_change(model, admin_user)


def test_reversal_and_payment_go_through_the_services(admin_user):
    deduction = f.AuditDeductionFactory()
    reverse_deduction(deduction, reason="申诉成立", user=admin_user)
    assert AuditDeduction.objects.get(pk=deduction.pk).reversed_by == admin_user
    disbursement = f.DisbursementFactory()
    assert pay_disbursements(Disbursement.objects.filter(pk=disbursement.pk), user=admin_user) == 1
    paid = Disbursement.objects.get(pk=disbursement.pk)
    assert (paid.status, paid.paid_by) == (DisbursementStatus.PAID, admin_user)


def test_the_admin_pays_through_the_service(admin_client, admin_user):
    disbursement = f.DisbursementFactory()
    response = admin_client.post("/admin/fund_budget/disbursement/", {
        "action": "mark_paid", "_selected_action": [disbursement.pk]})
    assert response.status_code == 302
    paid = Disbursement.objects.get(pk=disbursement.pk)
    assert (paid.status, paid.paid_by) == (DisbursementStatus.PAID, admin_user)
