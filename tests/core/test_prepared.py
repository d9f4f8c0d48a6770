"""core.prepared: a read compiled once per shape gives what its queryset gives, values and instances alike, and
runs the queryset itself whenever a shape cannot be kept."""
import datetime as dt

import pytest
from django.db import connection, transaction
from django.db.models.functions import Length
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext

from claims.models import Visit
from core.prepared import MAX_VALUES, Bound, Prepared, fold
from insurance.models import Institution
from policy_rules.models import CatalogItem
from tests.factories import CatalogItemFactory, VisitFactory

LINES = Prepared(Visit, lambda ids, since: Visit.objects.filter(pk__in=ids, begntime__gte=since).values_list(
    "mdtrt_id", "person__psn_no", "begntime", "diagnoses", "institution__level"))
INSTANCES = Prepared(Visit, lambda ids: Visit.objects.select_related("person", "institution").filter(
    pk__in=ids).order_by("pk"))
LOCKED = Prepared(Visit, lambda ids: Visit.objects.select_for_update(of=("self",)).select_related("person").filter(
    pk__in=ids).order_by("pk"))
ANNOTATED = Prepared(Visit, lambda ids: Visit.objects.filter(pk__in=ids).order_by("pk").defer("diagnoses").annotate(
    id_length=Length("mdtrt_id")))
ANNOTATED_VALUES = Prepared(Visit, lambda ids: Visit.objects.filter(pk__in=ids).order_by("pk").annotate(
    id_length=Length("mdtrt_id")).values_list("id_length", "pk", "mdtrt_id"))
BY_CODE = Prepared(Institution, lambda code: Institution.objects.filter(fixmedins_code=code).values_list("pk"))


def _fields(obj):
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


@pytest.mark.django_db
def test_prepared_reads_give_what_the_queryset_gives():
    visits = [VisitFactory(diagnoses=[{"diag_code": f"K3{i}", "diag_name": "x"}]) for i in range(3)]
    ids = [v.pk for v in visits]
    since = min(v.begntime for v in visits) - dt.timedelta(days=1)
    for chosen in (ids[:1], ids[:1], ids, list(reversed(ids)), ids[1:2]):  # a shape kept, then reused
        assert LINES(chosen, since) == list(LINES.build(chosen, since))
        got, want = INSTANCES(chosen), list(INSTANCES.build(chosen))
        assert [_fields(v) for v in got] == [_fields(v) for v in want]
        assert [(_fields(v.person), _fields(v.institution)) for v in got] == [
            (_fields(v.person), _fields(v.institution)) for v in want]
        assert all(not v._state.adding and v._state.db == "default" for v in got)
    for chosen in (ids[:2], ids[1:]):  # annotations and deferred fields, as the queryset sets them
        got, want = ANNOTATED(chosen), list(ANNOTATED.build(chosen))
        assert [(v.pk, v.id_length, v.get_deferred_fields()) for v in got] == [
            (v.pk, v.id_length, v.get_deferred_fields()) for v in want]
        assert got[0].get_deferred_fields() == {"diagnoses"}
    for chosen in (ids[:2], ids[1:]):  # a values_list naming an annotation, in the list's order
        assert ANNOTATED_VALUES(chosen) == list(ANNOTATED_VALUES.build(chosen))
        assert ANNOTATED_VALUES(chosen)[0][0] == len(visits[ids.index(chosen[0])].mdtrt_id)
    assert len(ANNOTATED_VALUES._compiled) == 1 and None not in ANNOTATED_VALUES._compiled.values()
    assert LINES(ids, since + dt.timedelta(days=400)) == []
    assert len(LINES._compiled) == 2  # one per shape: (1 id, a datetime) and (3 ids, a datetime)
    assert BY_CODE(visits[0].institution.fixmedins_code) == [(visits[0].institution_id,)]


@pytest.mark.django_db
def test_a_kept_shape_runs_one_statement_and_no_compilation():
    visits = [VisitFactory() for _ in range(2)]
    INSTANCES([visits[0].pk])
    with CaptureQueriesContext(connection) as queries:
        got = INSTANCES([visits[1].pk])
    assert len(queries) == 1 and got[0].pk == visits[1].pk and got[0].person.pk == visits[1].person_id


@pytest.mark.django_db
def test_a_kept_shape_looks_its_converters_up_once(monkeypatch):
    """The columns' converters are found on the first result and kept with the compiled read."""
    visits = [VisitFactory(diagnoses=[{"diag_code": "K30", "diag_name": "x"}]) for _ in range(2)]
    since = visits[0].begntime - dt.timedelta(days=1)
    INSTANCES([visits[0].pk])
    LINES([visits[0].pk], since)
    def refused(self, expressions):
        raise AssertionError("converters looked up again")

    monkeypatch.setattr(SQLCompiler, "get_converters", refused)
    got = INSTANCES([visits[1].pk])[0]
    assert (got.pk, got.begntime, got.diagnoses) == (visits[1].pk, visits[1].begntime, visits[1].diagnoses)
    assert LINES([visits[1].pk], since) == [(visits[1].mdtrt_id, visits[1].person.psn_no, visits[1].begntime,
                                              visits[1].diagnoses, visits[1].institution.level)]


@pytest.mark.django_db
def test_shapes_that_cannot_be_kept_run_the_queryset():
    visit = VisitFactory()
    assert INSTANCES([]) == []  # an empty list: Django answers without a statement
    assert not any(shape == ((),) for (_a, _c, shape) in INSTANCES._compiled)
    many = [visit.pk] * (MAX_VALUES + 1)  # too many values to keep per length: an array on PostgreSQL, else the queryset
    assert [v.pk for v in INSTANCES(many)] == [visit.pk] and not any(
        len(shape[0]) > MAX_VALUES for (_a, _c, shape) in INSTANCES._compiled)
    with pytest.raises(ValueError, match="None"):  # None has no stand-in: the queryset decides, and refuses it
        LINES([visit.pk], None)
    assert [v.pk for v in INSTANCES([True])] == list(INSTANCES.build([True]).values_list("pk", flat=True))


@pytest.mark.django_db(transaction=True)
def test_a_locking_read_outside_a_transaction_raises_as_the_queryset_does():
    visit = VisitFactory()
    with transaction.atomic():
        assert [v.pk for v in LOCKED([visit.pk])] == [visit.pk]  # kept, in a transaction
    with pytest.raises(transaction.TransactionManagementError):
        LOCKED([visit.pk])
    with transaction.atomic():
        assert LOCKED([visit.pk])[0].person.pk == visit.person_id


TWICE = Prepared(Visit, lambda ids: Visit.objects.filter(pk__in=ids).filter(
    person__in=Visit.objects.filter(pk__in=ids).values("person_id")).order_by("pk").values_list("pk"))


@pytest.mark.django_db
def test_a_value_the_queryset_uses_twice_is_never_kept_and_its_queryset_answers():
    visits = [VisitFactory() for _ in range(3)]
    assert TWICE([visits[0].pk]) == [(visits[0].pk,)]
    assert [c for (_a, _c, shape), c in TWICE._compiled.items() if shape == ((int,),)] == [None]
    assert TWICE([visits[2].pk]) == [(visits[2].pk,)] == list(TWICE.build([visits[2].pk]))


# a read of Decimal, date, JSON and null values (catalog items), for fold
CATALOG = Prepared(CatalogItem, lambda codes: CatalogItem.objects.filter(med_list_codg__in=codes).order_by(
    "med_list_codg").values_list("med_list_codg", "name", "selfpay_prop", "price_limit", "restrict_min_age",
                                 "restrict_med_types", "effective_from", "effective_to"))


@pytest.mark.django_db
def test_fold_reads_several_in_one_statement_giving_what_each_gives():
    visits = [VisitFactory(diagnoses=[{"diag_code": f"K3{i}", "diag_name": "x, \"y\" {z}"}]) for i in range(3)]
    items = [CatalogItemFactory(restrict_med_types=["21", "14"]), CatalogItemFactory(price_limit=None)]
    ids = [v.pk for v in visits]
    since = min(v.begntime for v in visits) - dt.timedelta(days=1)
    codes = [i.med_list_codg for i in items]
    reads = [(LINES, (ids, since)), (INSTANCES, (ids,)), (ANNOTATED_VALUES, (ids[1:],)), (CATALOG, (codes,)),
             (LINES, (ids, since + dt.timedelta(days=400)))]  # the last: no rows
    want = [list(read.build(*values)) for read, values in reads]
    bounds = [read.bind(*values) for read, values in reads]
    raw = Bound.raw("SELECT count(*), %s::text FROM claims_visit WHERE id = ANY(%s)", ["a%b", ids], 2)
    with CaptureQueriesContext(connection) as queries:
        fold(*bounds, raw)
    if connection.vendor == "postgresql":
        assert len(queries) == 1  # the instances' read too: all its columns are of folded types
    got = [b.result for b in bounds]
    assert got[0] == want[0] and got[2:] == want[2:] and got[4] == []
    assert [_fields(v) for v in got[1]] == [_fields(v) for v in want[1]]
    assert [(_fields(v.person), _fields(v.institution)) for v in got[1]] == [
        (_fields(v.person), _fields(v.institution)) for v in want[1]]
    assert [tuple(type(x) for x in row) for row in got[3]] == [tuple(type(x) for x in row) for row in want[3]]
    assert raw.result == [(3, "a%b")]
    with CaptureQueriesContext(connection) as queries:  # run already: nothing read again
        fold(*bounds, raw)
    assert len(queries) == 0


@pytest.mark.django_db(transaction=True)
def test_fold_runs_a_locking_read_alone():
    visits = [VisitFactory() for _ in range(2)]
    ids = [v.pk for v in visits]
    with transaction.atomic():
        locked, plain = LOCKED.bind(ids), INSTANCES.bind(ids)
        assert locked.foldable is None
        with CaptureQueriesContext(connection) as queries:
            fold(locked, plain)
        assert len(queries) == 2  # nothing to fold the plain read with
        assert [v.pk for v in locked.result] == [v.pk for v in plain.result] == sorted(ids)
