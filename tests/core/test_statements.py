"""core.statements: the kept reads prepared on the server once per connection give what their querysets give; a
statement PostgreSQL would read otherwise, or refuses to prepare, runs as text; long lists are one array parameter."""
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings

from claims.models import Visit
from core import statements
from core.prepared import ARRAY_FROM, Bound, Prepared
from tests.factories import VisitFactory

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="server-side statements: PostgreSQL")

BY_IDS = Prepared(Visit, lambda ids: Visit.objects.filter(pk__in=ids).order_by("pk").values_list("pk", "mdtrt_id"))
BY_IDS_AND_NOT = Prepared(Visit, lambda ids, other: Visit.objects.filter(pk__in=ids).exclude(
    mdtrt_id__in=other).order_by("pk").values_list("pk"))


def _server_statements() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, parameter_types::text[] FROM pg_prepared_statements WHERE name LIKE 'core_%%'")
        return dict(cursor.fetchall())


@pytest.mark.django_db
def test_a_kept_read_is_prepared_once_and_then_executed():
    visits = [VisitFactory() for _ in range(2)]
    assert BY_IDS([visits[0].pk]) == [(visits[0].pk, visits[0].mdtrt_id)]
    names = _server_statements()
    with CaptureQueriesContext(connection) as queries:
        got = BY_IDS([visits[1].pk])
    assert got == list(BY_IDS.build([visits[1].pk])) == [(visits[1].pk, visits[1].mdtrt_id)]
    assert len(queries) == 1 and queries[0]["sql"].startswith("EXECUTE core_")
    assert _server_statements() == names and any(types == ["bigint"] for types in names.values())


@pytest.mark.django_db
def test_long_lists_are_one_array_parameter_for_every_length():
    visits = [VisitFactory() for _ in range(ARRAY_FROM + 12)]
    ids = [v.pk for v in visits]
    codes = [v.mdtrt_id for v in visits]
    BY_IDS_AND_NOT(ids[:ARRAY_FROM + 1], codes[:1])
    before = (dict(BY_IDS_AND_NOT._compiled), _server_statements())
    for chosen, other in ((ids, codes[:1]), (ids[3:] + ids[3:], codes[:1]), (ids[:ARRAY_FROM + 2], codes[1:2])):
        with CaptureQueriesContext(connection) as queries:
            got = BY_IDS_AND_NOT(chosen, other)
        assert got == list(BY_IDS_AND_NOT.build(chosen, other))  # duplicates and NOT IN alike
        assert len(queries) == 1 and "ARRAY[" in queries[0]["sql"]
    assert (dict(BY_IDS_AND_NOT._compiled), _server_statements()) == before  # nothing compiled or prepared again
    compiled = next(c for c in BY_IDS_AND_NOT._compiled.values())
    assert "= ANY(%s)" in compiled.sql and compiled.sql.count("IN (%s)") == 1  # the short list stays an IN list


@pytest.mark.django_db
def test_a_statement_read_otherwise_or_refused_runs_as_text():
    with transaction.atomic():
        untyped = Bound.raw("SELECT %s", [7], 1)  # PostgreSQL would read its parameter as text: not prepared
        refused = Bound.raw("SELECT %s + %s", [1, 2], 1)  # an operator of two unknowns: PREPARE refuses it
        for _ in range(2):
            untyped.has_result = refused.has_result = False
            assert untyped.run() == [(7,)] and refused.run() == [(3,)]
        assert Visit.objects.count() == 0  # the transaction goes on after the refusal
    kept = connection._prepared_statements[1]
    assert kept["SELECT %s"] is statements._REFUSED and kept["SELECT %s + %s"] is statements._REFUSED
    on_server = _server_statements()
    assert statements.statement_name("SELECT %s") not in on_server
    assert statements.statement_name("SELECT %s + %s") not in on_server


BY_IDS_DESC = Prepared(Visit, lambda ids: Visit.objects.filter(pk__in=ids).order_by("-pk").values_list("pk"))


@pytest.mark.django_db
def test_off_the_reads_run_as_text():
    visit = VisitFactory()
    with override_settings(SERVER_PREPARED_STATEMENTS=False), CaptureQueriesContext(connection) as queries:
        assert BY_IDS_DESC([visit.pk]) == [(visit.pk,)]
    name = statements.statement_name(next(iter(BY_IDS_DESC._compiled.values())).sql)
    assert queries[0]["sql"].startswith("SELECT") and name not in _server_statements()
    BY_IDS_DESC([visit.pk])
    assert name in _server_statements() and connection._prepared_statements[0] is connection.connection
