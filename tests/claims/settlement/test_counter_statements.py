"""The counter's settlement in few statements (issue 14): the persons' and visits' locks in two, the visits' status
with the settlement's INSERT, the money rows in one, money_writes' setting made before the writes and given back
after them; the same rows, the same guards."""
import psycopg2
import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from claims.models import Settlement, SettlementAccumulation, VisitStatus
from claims.settlement.services import settle_visit
from core.ledger import money_writes
from core.statements import text_of
from insurance.models import AccountMovement, PersonalAccount
from tests.append_only import REFUSED
from tests.claims.conftest import admit, line, local

AMOXICILLIN = "XA01ABD075A002010100483"


@pytest.fixture
def visit(case01):
    return admit("P0001", "H41080000001", [line(1, AMOXICILLIN, 100, "30.00")], local(2026, 3, 2, 9),
                 local(2026, 3, 10, 10))


def _setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(current_setting('money.writer', true), '')")
        return cursor.fetchone()[0]


def test_the_writes_of_a_settlement_are_few_statements_and_leave_the_guard_on(visit):
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        s = settle_visit(visit, setl_time=local(2026, 3, 10, 10), audit=False)
        after = _setting()  # money_writes gave the setting back
    sql = [text_of(q["sql"]) for q in queries.captured_queries]  # a prepared read as the statement it executes
    assert after == ""
    setting = [q for q in sql if "set_config('money.writer'" in q]
    # made before the writes and given back after them, each a statement of its own with nothing else in it
    assert len(setting) == 2 and all(q.startswith("SELECT") and ";" not in q for q in setting)
    assert sql.index(setting[0]) < min(i for i, q in enumerate(sql) if "INSERT INTO" in q) < sql.index(setting[1])
    [insert] = [q for q in sql if 'INSERT INTO "claims_settlement"' in q]
    assert 'UPDATE "claims_visit"' in insert  # one statement for both
    [money] = [q for q in sql if "claims_settlementaccumulation" in q]
    assert "insurance_personalaccount" in money and "insurance_accountmovement" in money
    locks = [q for q in sql if "FOR UPDATE" in q]
    # the persons first, then the visits in a statement of its own (it must start after the persons' wait)
    assert len(locks) == 2 and locks[0].startswith('SELECT "insurance_person"') and '"claims_visit"' in locks[1]
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SETTLED and s.acct_pay > 0
    assert SettlementAccumulation.objects.filter(settlement=s).exists()
    assert AccountMovement.objects.get(settlement=s).balance_after == PersonalAccount.objects.get(
        person=visit.person).balance
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        Settlement.objects.filter(pk=s.pk).update(reason="changed")


def test_money_writes_gives_each_nested_block_its_own_value_back(db):
    with transaction.atomic():
        with money_writes():
            assert _setting() == "services"
            with money_writes():
                assert _setting() == "services"
            assert _setting() == "services"  # the inner block gave back the outer's value
            with money_writes():
                pass
            assert _setting() == "services"
        assert _setting() == ""
        with money_writes():
            pass
        assert _setting() == ""


def test_a_block_that_fails_gives_its_setting_back_with_its_savepoint(db):
    with transaction.atomic():
        with pytest.raises(ZeroDivisionError), money_writes():
            assert _setting() == "services"
            1 / 0  # noqa: B018
        assert _setting() == ""


def test_a_failure_outside_djangos_cursor_leaves_the_rollback_and_the_setting_as_they_should_be(db):
    with transaction.atomic():
        with pytest.raises(psycopg2.Error), transaction.atomic():
            with money_writes(savepoint=False):
                assert _setting() == "services"
            # a statement that fails without Django's cursor (as a COPY would): the savepoint's rollback must
            # still run and take everything of the block back
            with connection.connection.cursor() as raw:
                raw.execute("SELECT 1 / 0")
        assert _setting() == ""
