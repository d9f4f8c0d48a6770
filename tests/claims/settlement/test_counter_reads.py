"""The counter's reads of one settlement (claims.settlement.stored_lines, loading.load_inputs): the lines scaled by
the database make the frames the Decimal records made, the catalog read scaled makes catalog_frame's frame, and
the audit's and the engine's reads of a settlement are one statement on PostgreSQL."""
import datetime as dt
from decimal import Decimal as D

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims.audit.pipeline import _lines_part, audit_reads
from claims.models import Visit
from claims.settlement.loading import _CATALOG, load_inputs
from claims.settlement.plan import LINE_KEYS
from claims.settlement.stored_lines import _ACTIVE_LINES, active_lines
from core.statements import text_of
from policy_rules.engine.columnar import frame_of
from policy_rules.engine.frames import SCALED_CATALOG_ROW, catalog_frame, lines_frame
from policy_rules.models import CATALOG_FIELDS, CatalogItem
from tests.factories import CatalogItemFactory, DemoPolicyFactory, FeeLineFactory, VisitFactory

pytestmark = pytest.mark.django_db


def _visit_with_lines():
    visit = VisitFactory()
    items = [CatalogItemFactory(selfpay_prop=D("0.1250"), price_limit=D("12.3456"), restrict_gender="1",
                                restrict_min_age=6, restrict_med_types=["21", "14"]),
             CatalogItemFactory(effective_to=dt.date(2026, 12, 31)),
             CatalogItemFactory(restrict_med_types="11|21")]
    # feedetl_sn "10" sorts before "9": the model's order (visit, feedetl_sn) is not the engine's (visit, pk)
    for k, (sn, item) in enumerate([("9", items[0]), ("10", items[1]), ("11", items[2]), ("2", items[0])]):
        FeeLineFactory(visit=visit, feedetl_sn=sn, med_list_codg=item.med_list_codg, cnt=D("1.2345"),
                       pric=D("10.0100") + k, det_item_fee_sumamt=D("12.36") + k,
                       fee_ocur_time=timezone.make_aware(dt.datetime(2026, 3, 1, 8 + k, 30)),
                       fulamt_ownpay_amt=D("1.05") if k else None, overlmt_selfpay=D("0.00") if k else None,
                       preselfpay_amt=D("2.50") if k else None, inscp_scp_amt=D("8.81") if k else None,
                       selfpay_prop=D("0.0500") if k else None, chrgitm_lv="02" if k else "",
                       reason="over_limit" if k == 2 else "")
    return visit, items


def test_the_lines_read_scaled_make_the_frames_the_decimal_records_make():
    visit, _ = _visit_with_lines()
    lines = active_lines([visit])
    stored = list(visit.lines.order_by("pk").values())
    want = lines_frame([{"mdtrt_id": visit.mdtrt_id, **r} for r in stored])
    got = lines.frame
    pd.testing.assert_frame_equal(got[list(want.columns)], want)
    assert got["fee_line_id"].tolist() == [r["id"] for r in stored]
    assert got["stored_fulamt_ownpay_amt"].tolist() == [-1, 105, 105, 105]
    assert got["stored_selfpay_prop_e6"].tolist() == [-1, 50000, 50000, 50000]
    assert got["stored_chrgitm_lv"].tolist() == ["", "02", "02", "02"]
    assert got["stored_reason"].tolist() == ["", "", "over_limit", ""]
    assert all(c in got.columns for c in LINE_KEYS)
    # the audit's lines: those the ORM path reads, in the model's order
    audit = lines.audit_frame()
    pd.testing.assert_frame_equal(audit, frame_of(_lines_part([visit])))
    assert audit["feedetl_sn"].tolist() == ["10", "11", "2", "9"]
    assert lines.line_ids() == {(visit.pk, r["feedetl_sn"]): r["id"] for r in stored}


def test_the_catalog_read_scaled_makes_catalog_frames_frame_with_the_names():
    visit, items = _visit_with_lines()
    DemoPolicyFactory()
    inputs, _rows = load_inputs([visit], {visit.pk: timezone.now()})
    records = list(CatalogItem.objects.filter(pk__in=[i.pk for i in items]).values(*CATALOG_FIELDS))
    want = catalog_frame(records, names=True)
    got = inputs.catalog.sort_values("med_list_codg").reset_index(drop=True)
    want = want.sort_values("med_list_codg").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)
    assert got["restrict_med_types"].tolist() == [("21", "14"), (), ("11", "21")]
    assert got["name"].tolist() == [i.name for i in items]


def test_the_counters_reads_give_the_drivers_values_without_a_converter_per_row():
    """The integer columns come as the driver gives them (no int() per value) and the restriction as its JSON
    text, parsed once per distinct text into what the JSON field gives: the rows are the ORM's values."""
    visit, items = _visit_with_lines()
    DemoPolicyFactory()
    for read, values in ((_CATALOG, (["x"],)), (_ACTIVE_LINES, ([1],))):
        query = read.build(*values).query
        assert query.annotations
        assert all(a.get_db_converters(connection) == [] for a in query.annotations.values())
    _inputs, rows = load_inputs([visit], {visit.pk: timezone.now()})
    stored = dict(CatalogItem.objects.filter(pk__in=[i.pk for i in items]).values_list(
        "med_list_codg", "restrict_med_types"))
    at = SCALED_CATALOG_ROW.index("restrict_med_types")
    assert {r[0]: r[at] for r in rows} == stored == {items[0].med_list_codg: ["21", "14"],
                                                     items[1].med_list_codg: [], items[2].med_list_codg: "11|21"}
    assert {r[0]: r for r in rows}[items[0].med_list_codg][2:6] == (125_000, 123_456, "1", 6)
    assert all(type(v) is int for r in rows for v in r[2:4] + r[5:8])
    lines = active_lines([visit]).columns
    assert all(type(v) is int for c in ("cnt_e4", "amount_fen", "stored_fulamt_ownpay_amt", "model_order")
               for v in lines[c])
    assert sorted(lines["model_order"]) == [1, 2, 3, 4]


def test_the_engines_and_the_audits_reads_are_one_statement():
    visit, _ = _visit_with_lines()
    DemoPolicyFactory()
    # as settle_visits reads the visit: with what the reader would read again (the enrollment, the account)
    visit = Visit.objects.select_related("person", "person__account", "institution", "enrollment").get(pk=visit.pk)
    lines = active_lines([visit])
    load_inputs([visit], {visit.pk: timezone.now()}, line_rows=lines)  # the pack parsed once per process
    ahead = audit_reads([visit])
    with CaptureQueriesContext(connection) as queries:
        load_inputs([visit], {visit.pk: timezone.now()}, line_rows=lines, also=ahead.bounds())
    sent = [text_of(q["sql"]) for q in queries]  # a prepared read as the statement it executes
    reads = [sql for sql in sent if sql.lstrip().upper().startswith("SELECT")]
    if connection.vendor == "postgresql":
        # catalog, versions, accumulators, digest, qualifications, history, stats: one statement; and the
        # person's enrollments, as this visit was not registered under one
        assert len(reads) == 1 + (visit.enrollment_id is None), reads
        assert sum("array_agg" in sql for sql in reads) == 1
    assert all(b.has_result for b in ahead.bounds())
    assert ahead.history.result == [] and ahead.held.result == []
