"""Append-only money in the review tables (issue 15): a suspect item's confirmed amount and state, and an
appeal's decision, are changed by review.services only; the trail (ReviewEvent) never. UPDATE and DELETE
outside the services fail, in SQL and through the ORM; the admin offers no change form."""
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection

from core.ledger import money_writes
from review.models import Appeal, ReviewEvent, SuspectItem
from tests import factories as f
from tests.append_only import (
    admin_offers_no_change,
    allowed_on_services_path,
    money_guarded_models,
    refused_everywhere,
)

pytestmark = [pytest.mark.django_db, pytest.mark.skipif("connection.vendor != 'postgresql'")]

MONEY_TABLES = {
    SuspectItem: (lambda: f.SuspectItemFactory(confirmed=True), "confirmed_amount", Decimal("1.00")),
    Appeal: (f.AppealFactory, "explanation", "改过的说明"),
}


def test_every_guarded_review_table_is_tested_here():
    assert money_guarded_models("review") == {m._meta.label for m in MONEY_TABLES}


@pytest.mark.parametrize("model", MONEY_TABLES, ids=lambda m: m._meta.label)
def test_update_and_delete_outside_the_services_fail(model):
    factory, field, value = MONEY_TABLES[model]
    refused_everywhere(factory(), field, value)


@pytest.mark.parametrize("model", MONEY_TABLES, ids=lambda m: m._meta.label)
def test_the_services_path_still_writes(model):
    factory, field, value = MONEY_TABLES[model]
    allowed_on_services_path(factory(), field, value)


def test_the_trail_is_never_changed_even_by_the_services():
    event = f.ReviewEventFactory()
    with pytest.raises(DatabaseError, match="pgtrigger"), money_writes(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM claims_reviewevent WHERE id = %s", [event.pk])


@pytest.mark.parametrize("model", [*MONEY_TABLES, ReviewEvent], ids=lambda m: m._meta.label)
def test_the_admin_offers_no_change_form(model, admin_user):
    (MONEY_TABLES[model][0] if model in MONEY_TABLES else f.ReviewEventFactory)()
    admin_offers_no_change(model, admin_user)
