"""The reopening's rows are absolute append-only, like the statements: UPDATE and DELETE fail for everybody,
the services' write path included (pgtrigger Protect)."""
import pytest
from django.db import DatabaseError, connection, transaction  # noqa: F401 - connection: the skipif

from core.ledger import money_writes
from fund_budget.models import MonthReopeningApproval, MonthReopeningRequest, SupersededStatement

from .reopen_world import reopen, statements  # noqa: F401 - the fixtures

pytestmark = [pytest.mark.django_db, pytest.mark.skipif("connection.vendor != 'postgresql'")]


@pytest.mark.parametrize("model", [MonthReopeningRequest, MonthReopeningApproval, SupersededStatement],
                         ids=lambda m: m.__name__)
@pytest.mark.parametrize("services", [False, True], ids=["outside", "services"])
def test_update_and_delete_are_refused(reopen, model, services):  # noqa: F811
    reopen.reopen()
    rows = model.objects.all()
    count = rows.count()
    assert count >= 1
    for verb in (lambda: rows.update(id=rows.first().id), rows.delete):
        with pytest.raises(DatabaseError), transaction.atomic():
            if services:
                with money_writes():
                    verb()
            else:
                verb()
    assert model.objects.count() == count
