"""Append-only money in the claims and insurance tables (issue 15): settlements, their lines, accumulators and
their per-settlement rows, personal accounts and movements, fee lines of a settled visit, settled visits and
the history events. UPDATE and DELETE outside the services fail, in SQL and through the ORM; the services'
own path (core.ledger) still writes; the admin offers no change form; a visit's institution never changes."""
from decimal import Decimal

import pghistory.models
import pytest
from django.db import DatabaseError, connection, transaction

from claims.intake.services import cancel_fee_lines
from claims.models import (
    Accumulator,
    FeeLine,
    FeeLineStatus,
    Settlement,
    SettlementAccumulation,
    SettlementLine,
    Visit,
    VisitStatus,
)
from claims.settlement.services import cancel_settlement
from core.ledger import money_writes
from insurance.models import AccountMovement, PersonalAccount
from tests import factories as f
from tests.append_only import (
    REFUSED,
    admin_offers_no_change,
    allowed_on_services_path,
    money_guarded_models,
    refused_everywhere,
)

pytestmark = [pytest.mark.django_db, pytest.mark.skipif("connection.vendor != 'postgresql'")]

D = Decimal

# model → (factory, a money field, a new value)
MONEY_TABLES = {
    Settlement: (f.SettlementFactory, "balc", D("10000.00")),
    SettlementLine: (f.SettlementLineFactory, "selfpay_prop", D("0.1000")),
    Accumulator: (f.AccumulatorFactory, "amount", D("0.00")),
    SettlementAccumulation: (f.SettlementAccumulationFactory, "delta", D("0.00")),
    PersonalAccount: (f.PersonalAccountFactory, "balance", D("99999.00")),
}


def test_every_guarded_claims_and_insurance_table_is_tested_here():
    guarded = money_guarded_models("claims") | money_guarded_models("insurance")
    events = {label for label in guarded if label.endswith("Event")}
    assert guarded - events == {m._meta.label for m in MONEY_TABLES}
    assert events == {"claims.SettlementEvent", "claims.VisitEvent", "claims.FeeLineEvent",
                      "insurance.PersonEvent", "insurance.EnrollmentEvent", "insurance.InstitutionEvent",
                      # the employer wages behind maternity allowances (docs/benefit-layers.md §M)
                      "insurance.EmployerWageEvent",
                      # the history of logins and their roles (claims.models.accounts, the user pages)
                      "claims.UserEvent", "claims.UserRoleEvent"}


@pytest.mark.parametrize("model", MONEY_TABLES, ids=lambda m: m._meta.label)
def test_update_and_delete_outside_the_services_fail(model):
    factory, field, value = MONEY_TABLES[model]
    refused_everywhere(factory(), field, value)


@pytest.mark.parametrize("model", MONEY_TABLES, ids=lambda m: m._meta.label)
def test_the_services_path_still_writes(model):
    factory, field, value = MONEY_TABLES[model]
    allowed_on_services_path(factory(), field, value)


def test_account_movements_are_never_changed_even_by_the_services():
    movement = f.AccountMovementFactory()
    for statement in ("UPDATE insurance_accountmovement SET amount = 1 WHERE id = %s",
                      "DELETE FROM insurance_accountmovement WHERE id = %s"):
        with pytest.raises(DatabaseError, match="pgtrigger"), money_writes(), connection.cursor() as cursor:
            cursor.execute(statement, [movement.pk])
    assert AccountMovement.objects.get(pk=movement.pk).amount == movement.amount


def _no_change_form(admin_client, obj) -> None:
    opts = obj._meta
    page = admin_client.get(f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert admin_client.post(f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/change/", {}).status_code == 403


@pytest.mark.parametrize("model", [*MONEY_TABLES, AccountMovement], ids=lambda m: m._meta.label)
def test_the_admin_offers_no_change_form(model, admin_user, admin_client):
    obj = MONEY_TABLES[model][0]() if model in MONEY_TABLES else f.AccountMovementFactory()
    admin_offers_no_change(model, admin_user)
    _no_change_form(admin_client, obj)


def test_the_admin_shows_a_settled_visits_fee_lines_read_only(admin_client):
    _no_change_form(admin_client, f.FeeLineFactory(visit__status=VisitStatus.SETTLED))
    open_line = f.FeeLineFactory()
    assert 'name="_save"' in admin_client.get(f"/admin/claims/feeline/{open_line.pk}/change/").content.decode()
    assert admin_client.post(f"/admin/claims/feeline/{open_line.pk}/delete/", {"post": "yes"}).status_code == 403


def test_a_settled_visits_fee_lines_are_frozen_and_an_open_visits_are_not():
    settled = f.FeeLineFactory(visit__status=VisitStatus.SETTLED)
    refused_everywhere(settled, "det_item_fee_sumamt", D("10000.00"))
    with pytest.raises(DatabaseError, match="a fee line of a settled visit"), transaction.atomic():
        FeeLine.objects.filter(pk=settled.pk).update(status=FeeLineStatus.CANCELLED, cancelled_at=settled.visit.endtime)
    open_line = f.FeeLineFactory()  # discharged, not settled: the institution may still cancel it (2302)
    assert cancel_fee_lines(open_line.visit, [open_line.feedetl_sn]) == 1
    with money_writes():  # the settlement writers store a split on the lines of the visit they settle
        assert FeeLine.objects.filter(pk=settled.pk).update(reason="NOT_IN_CATALOG") == 1


def test_a_settled_visit_changes_only_through_the_services():
    visit = f.VisitFactory(status=VisitStatus.SETTLED)
    with pytest.raises(DatabaseError, match="a settled visit"), transaction.atomic():
        Visit.objects.filter(pk=visit.pk).update(status=VisitStatus.DISCHARGED)
    with pytest.raises(DatabaseError, match="a settled visit"), transaction.atomic():
        Visit.objects.filter(pk=f.VisitFactory().pk).update(status=VisitStatus.SETTLED)  # settled w/o settlement
    with money_writes():
        Visit.objects.filter(pk=visit.pk).update(status=VisitStatus.DISCHARGED)


def test_a_visits_institution_never_changes_even_on_the_services_path():
    visit, other = f.VisitFactory(), f.InstitutionFactory()
    for guard in (transaction.atomic, money_writes):
        with pytest.raises(DatabaseError, match="pgtrigger"), guard(), connection.cursor() as cursor:
            cursor.execute("UPDATE claims_visit SET institution_id = %s WHERE id = %s", [other.pk, visit.pk])
    assert Visit.objects.get(pk=visit.pk).institution_id == visit.institution_id


def test_the_admin_keeps_a_visits_institution_and_shows_a_settled_visit_read_only(admin_client):
    visit = f.VisitFactory()
    page = admin_client.get(f"/admin/claims/visit/{visit.pk}/change/").content.decode()
    assert 'name="institution"' not in page and 'name="begntime_0"' in page
    settled = f.VisitFactory(status=VisitStatus.SETTLED)
    assert admin_client.post(f"/admin/claims/visit/{settled.pk}/change/", {}).status_code == 403


def test_cancellation_reverses_through_the_guarded_tables(admin_user):
    """The services' reversal still works under the guards: status, accumulators, account, visit."""
    person = f.InsuredPersonFactory()
    s = f.SettlementFactory(visit__person=person, visit__status=VisitStatus.SETTLED, acct_pay=D("80.00"))
    f.SettlementAccumulationFactory(settlement=s, delta=D("720.00"))
    f.AccumulatorFactory(person=person, amount=D("720.00"))
    reversal = cancel_settlement(s, user=admin_user, reason="重复结算")
    assert Settlement.objects.get(pk=s.pk).status == "cancelled" and reversal.kind == "reversal"
    assert Accumulator.objects.get(person=person).amount == D("0.00")
    assert PersonalAccount.objects.get(person=person).balance == D("1280.00")
    assert Visit.objects.get(pk=s.visit_id).status == VisitStatus.DISCHARGED


def test_history_events_are_append_only():
    institution = f.InstitutionFactory()
    event = institution.events.get()  # pghistory: the insert
    for statement in ("UPDATE insurance_institutionevent SET name = 'x' WHERE pgh_id = %s",
                      "DELETE FROM insurance_institutionevent WHERE pgh_id = %s"):
        with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pgh_id])


def test_history_of_fee_lines_and_visits_keeps_old_and_new_values_and_who(admin_user):
    line = f.FeeLineFactory()
    with pghistory.context(user=admin_user.pk, reason="更正"):
        FeeLine.objects.filter(pk=line.pk).update(pric=D("2.00"), det_item_fee_sumamt=D("40.00"))
    events = {e.pgh_label: e for e in line.events.all()}
    assert (events["before_update"].det_item_fee_sumamt, events["update"].det_item_fee_sumamt) == (D("30.00"),
                                                                                                   D("40.00"))
    context = pghistory.models.Context.objects.get(pk=events["update"].pgh_context_id)
    assert context.metadata == {"user": admin_user.pk, "reason": "更正"}
    visit = line.visit
    with money_writes(user=admin_user, reason="结算"):
        Visit.objects.filter(pk=visit.pk).update(status=VisitStatus.SETTLED)
    labels = [(e.pgh_label, e.status) for e in visit.events.order_by("pgh_id")]
    assert labels == [("insert", "discharged"), ("before_update", "discharged"), ("update", "settled")]
    assert visit.events.last().pgh_context.metadata == {"user": admin_user.pk, "reason": "结算"}


def test_an_admin_change_records_who_and_the_old_and_new_values(admin_client, admin_user):
    institution = f.InstitutionFactory(name="旧名称")
    response = admin_client.post(f"/admin/insurance/institution/{institution.pk}/change/", {
        "fixmedins_code": institution.fixmedins_code, "name": "新名称", "level": institution.level,
        "kind": institution.kind, "designated": "on", "region": institution.region})
    assert response.status_code == 302
    insert, update = institution.events.order_by("pgh_id")
    assert (insert.name, update.name) == ("旧名称", "新名称")
    assert update.pgh_context.metadata["user"] == admin_user.pk
    assert update.pgh_context.metadata["url"] == f"/admin/insurance/institution/{institution.pk}/change/"
