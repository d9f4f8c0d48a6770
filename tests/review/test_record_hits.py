"""record_hits: every hit stored with its rule, lines, evidence and amount; suspect hits at settlement open
one item per visit and rule; re-running for the same settlement creates nothing new."""
from decimal import Decimal

import pytest
from django.db import connection

from claims.errors import ServiceError
from claims.models import FeeLine, Settlement, SettlementStatus
from review import services as review
from review.models import AuditHit, HitStage, ReviewAction, ReviewEvent, SuspectItem, SuspectState

from .conftest import FUND_PAID, hits_frame

D = Decimal


def test_each_hit_is_stored_with_rule_lines_evidence_and_amount(world):
    settlement = world.settled_visit()
    visit = settlement.visit
    result = world.record(settlement, {"rule_code": "DUP-01", "feedetl_sns": ("2", "3"), "amount_fen": 2500,
                                       "evidence": "2026-03-05 血常规收取 2 次"})
    [hit] = result["hits"]
    hit = AuditHit.objects.get(pk=hit.pk)
    assert hit.rule == world.dup_rule and hit.rule_code == "DUP-01" and hit.rule_type == "duplicate_charge"
    assert hit.severity == "suspect" and hit.stage == HitStage.SETTLEMENT
    assert hit.visit == visit and hit.settlement == settlement and hit.institution == world.inst_a
    assert hit.feedetl_sns == ["2", "3"]
    assert hit.fee_line_ids == [FeeLine.objects.get(visit=visit, feedetl_sn=sn).pk for sn in ("2", "3")]
    assert hit.amount == D("25.00") and hit.evidence == "2026-03-05 血常规收取 2 次"
    assert hit.item == result["items"][0]


def test_suspect_hits_of_one_rule_on_one_visit_make_one_item_with_their_sum(world):
    settlement = world.settled_visit()
    result = world.record(settlement,
                          {"rule_code": "DUP-01", "feedetl_sns": ("2", "3"), "amount_fen": 2500},
                          {"rule_code": "DUP-01", "feedetl_sns": ("1",), "amount_fen": 1500},
                          {"rule_code": "BED-01", "feedetl_sns": ("4",), "amount_fen": 5000})
    assert len(result["hits"]) == 3 and len(result["items"]) == 2
    dup = SuspectItem.objects.get(settlement=settlement, rule=world.dup_rule)
    bed = SuspectItem.objects.get(settlement=settlement, rule=world.bed_rule)
    assert dup.amount_at_stake == D("40.00") and dup.hits.count() == 2
    assert bed.amount_at_stake == D("50.00") and bed.hits.count() == 1
    assert dup.state == SuspectState.PENDING and dup.institution == world.inst_a and dup.visit == settlement.visit
    opened = ReviewEvent.objects.get(item=dup)
    assert opened.action == ReviewAction.OPENED and opened.to_state == "pending" and opened.amount == D("40.00")
    assert "DUP-01" in opened.reason


def test_warn_hits_are_stored_but_open_no_item(world):
    settlement = world.settled_visit()
    result = world.record(settlement, {"rule_code": "PRICE-W", "feedetl_sns": ("5",), "amount_fen": 10000})
    assert len(result["hits"]) == 1 and result["items"] == []
    assert AuditHit.objects.get().severity == "warn" and not SuspectItem.objects.exists()


def test_the_amount_at_stake_is_at_most_what_the_fund_paid(world):
    settlement = world.settled_visit()
    [item] = world.record(settlement, {"rule_code": "BED-01", "amount_fen": 248000})["items"]
    assert item.amount_at_stake == FUND_PAID == settlement.fund_pay_sumamt


def test_rerunning_for_the_same_settlement_creates_nothing_new(world):
    settlement = world.settled_visit()
    hits = ({"rule_code": "DUP-01", "amount_fen": 2500}, {"rule_code": "BED-01", "amount_fen": 5000})
    first = world.record(settlement, *hits)
    counts = (AuditHit.objects.count(), SuspectItem.objects.count(), ReviewEvent.objects.count())
    again = world.record(settlement, *hits)
    assert again == {"hits": [], "items": []}
    assert (AuditHit.objects.count(), SuspectItem.objects.count(), ReviewEvent.objects.count()) == counts == (2, 2, 2)
    assert {i.pk for i in first["items"]} == set(SuspectItem.objects.values_list("pk", flat=True))


def test_a_new_hit_of_a_rule_already_opened_joins_its_item(world):
    settlement = world.settled_visit()
    [item] = world.record(settlement, {"rule_code": "DUP-01", "amount_fen": 2500})["items"]
    result = world.record(settlement, {"rule_code": "DUP-01", "feedetl_sns": ("1",), "amount_fen": 1000})
    assert len(result["hits"]) == 1 and result["items"] == []
    assert item.hits.count() == 2 and SuspectItem.objects.count() == 1


def test_upload_stage_hits_have_no_settlement_and_open_no_item(world):
    settlement = world.settled_visit()
    visit = settlement.visit
    result = review.record_hits(hits_frame({"rule_code": "DUP-01", "mdtrt_id": visit.mdtrt_id, "amount_fen": 2500}),
                                stage=HitStage.UPLOAD, visits_by_mdtrt={visit.mdtrt_id: visit})
    [hit] = result["hits"]
    assert hit.stage == "upload" and hit.settlement is None and result["items"] == []
    assert not SuspectItem.objects.exists()


def test_a_related_visit_is_resolved(world):
    first = world.settled_visit(psn_no="P0100")
    second = world.settled_visit(psn_no="P0100")
    [hit] = world.record(second, {"rule_code": "BED-01", "amount_fen": 100000,
                                  "related_mdtrt_id": first.visit.mdtrt_id,
                                  "evidence": "出院后 0 天再次入院"})["hits"]
    assert hit.related_mdtrt_id == first.visit.mdtrt_id and hit.related_visit == first.visit


def test_an_unknown_rule_is_refused_and_nothing_is_written(world):
    settlement = world.settled_visit()
    visit = settlement.visit
    frame = hits_frame({"rule_code": "DUP-01", "mdtrt_id": visit.mdtrt_id, "amount_fen": 2500})
    frame.loc[len(frame)] = ["NO-SUCH", "duplicate_charge", "suspect", visit.mdtrt_id, ("1",), 100, "x", None]
    with pytest.raises(ServiceError) as exc:
        review.record_hits(frame, stage="settlement", visits_by_mdtrt={visit.mdtrt_id: visit},
                           settlements_by_mdtrt={visit.mdtrt_id: settlement})
    assert exc.value.errors[0]["field"] == "rule_code" and exc.value.errors[0]["code"] == "UNKNOWN_RULE"
    assert exc.value.errors[0]["line"] == 1
    assert not AuditHit.objects.exists() and not SuspectItem.objects.exists()


def test_the_settlement_stage_needs_the_settlement(world):
    settlement = world.settled_visit()
    visit = settlement.visit
    with pytest.raises(ServiceError) as exc:
        review.record_hits(hits_frame({"rule_code": "DUP-01", "mdtrt_id": visit.mdtrt_id, "amount_fen": 2500}),
                           stage="settlement", visits_by_mdtrt={visit.mdtrt_id: visit})
    assert exc.value.errors[0]["field"] == "settlement"
    with pytest.raises(ServiceError) as exc:
        review.record_hits(hits_frame({"rule_code": "DUP-01", "mdtrt_id": visit.mdtrt_id, "amount_fen": 2500}),
                           stage="audit", visits_by_mdtrt={visit.mdtrt_id: visit})
    assert exc.value.errors[0]["field"] == "stage"
    assert not AuditHit.objects.exists()


def test_an_empty_frame_records_nothing(world):
    assert review.record_hits(hits_frame(), stage="settlement", visits_by_mdtrt={}) == {"hits": [], "items": []}


def test_recording_never_touches_the_settlement(world):
    settlement = world.settled_visit()
    world.record(settlement, {"rule_code": "DUP-01", "amount_fen": 2500})
    fresh = Settlement.objects.get(pk=settlement.pk)
    assert fresh.status == SettlementStatus.SETTLED and fresh.fund_pay_sumamt == FUND_PAID
    assert Settlement.objects.count() == 1


def _audit_frames(settlements):
    """The audit engine's input frames for settled visits, straight from the database."""
    import pandas as pd

    from core.periods import local_naive
    from policy_rules.engine.frames import catalog_frame
    from policy_rules.engine.money import QTY_SCALE, scaled
    from policy_rules.models import CatalogItem

    visits = [s.visit for s in settlements]
    lines = pd.DataFrame([
        {"mdtrt_id": fl.visit.mdtrt_id, "feedetl_sn": fl.feedetl_sn, "med_list_codg": fl.med_list_codg,
         "cnt_e4": scaled(fl.cnt, QTY_SCALE), "pric_e4": scaled(fl.pric, QTY_SCALE),
         "amount_fen": int(fl.det_item_fee_sumamt * 100), "fee_ocur_time": pd.NaT}
        for fl in FeeLine.objects.filter(visit__in=visits).select_related("visit")])
    frame = pd.DataFrame([
        {"mdtrt_id": v.mdtrt_id, "psn_no": v.person.psn_no, "fixmedins_code": v.institution.fixmedins_code,
         "med_type": v.med_type, "begntime": local_naive(v.begntime), "endtime": local_naive(v.endtime),
         "inst_level": v.institution.level, "gender": v.person.gender,
         "age": v.person.age_on(v.begntime.date()), "diagnoses": tuple(v.diagnoses)} for v in visits])
    frame["begntime"] = pd.to_datetime(frame["begntime"])
    frame["endtime"] = pd.to_datetime(frame["endtime"])
    catalog = catalog_frame(CatalogItem.objects.values("med_list_codg", "chrg_lv", "selfpay_prop", "price_limit"))
    return lines, frame, catalog


def test_the_audit_engines_own_output_is_recorded(world):
    """run_audit → record_hits with the rules in force: the engine's frame (tuples, None, int64) goes in as is."""
    import datetime as dt

    from policy_rules.audit_library import rules_in_force
    from policy_rules.engine.audit import run_audit
    from policy_rules.models import AuditRuleDefinition

    AuditRuleDefinition.objects.create(code="FREQ-T", name="血常规每日限 1 次", rule_type="frequency",
                                       params={"codes": ["250101001"], "max": 1, "per": "day"},
                                       severity="suspect", effective_from=dt.date(2026, 1, 1))
    settlement = world.settled_visit()
    hits = run_audit(*_audit_frames([settlement]), rules_in_force(dt.date(2026, 3, 10)))
    assert "FREQ-T" in set(hits["rule_code"])
    visit = settlement.visit
    result = review.record_hits(hits, stage="settlement", visits_by_mdtrt={visit.mdtrt_id: visit},
                                settlements_by_mdtrt={visit.mdtrt_id: settlement})
    assert len(result["hits"]) == len(hits)
    freq = AuditHit.objects.get(rule_code="FREQ-T")
    assert freq.feedetl_sns == ["2", "3"] and freq.amount == D("25.00") and freq.evidence
    [item] = [i for i in result["items"] if i.rule.code == "FREQ-T"]
    assert item.amount_at_stake == D("25.00") and item.visit == visit
    assert review.record_hits(hits, stage="settlement", visits_by_mdtrt={visit.mdtrt_id: visit},
                              settlements_by_mdtrt={visit.mdtrt_id: settlement}) == {"hits": [], "items": []}


def test_items_to_open_is_the_one_rule_for_both_recorders():
    """Summed per (settlement, rule), capped at what the fund paid, none at zero, none where one is open."""
    from review.hits import (
        items_to_open,  # the pure rule, beside the recorder tests that use it through the ORM
    )

    hits = [(1, 7, 3000), (1, 7, 2500), (1, 8, 100), (2, 7, 900), (3, 7, 500)]
    fund = {1: 5000, 2: 0, 3: 10000}
    assert items_to_open(hits, fund, existing={(3, 7)}) == [(1, 7, 5000, 2), (1, 8, 100, 1)]


def test_a_hit_recorded_before_without_its_item_joins_it_when_recorded_again(world):
    settlement = world.settled_visit()
    hit = {"rule_code": "DUP-01", "amount_fen": 2500}
    [item] = world.record(settlement, hit)["items"]
    AuditHit.objects.update(item=None)  # as a hit written before its item would be
    again = world.record(settlement, hit)
    assert again == {"hits": [], "items": []}
    assert AuditHit.objects.get().item == item and SuspectItem.objects.count() == 1


def test_a_settlements_hits_are_written_in_a_few_statements_whatever_their_number(world, django_assert_max_num_queries):
    settlement = world.settled_visit()
    hits = [{"rule_code": code, "feedetl_sns": (str(n),), "amount_fen": 100 + n}
            for n in range(1, 6) for code in ("DUP-01", "BED-01", "PRICE-W")]
    # the rules, savepoint, the settlement's lock, lines, hits there already, items there already, items, their events,
    # hits, release: one INSERT per table however many hits and items
    visit = settlement.visit
    frame = hits_frame(*[{"mdtrt_id": visit.mdtrt_id, **h} for h in hits])
    with django_assert_max_num_queries(10):
        result = review.record_hits(frame, stage=HitStage.SETTLEMENT, visits_by_mdtrt={visit.mdtrt_id: visit},
                                    settlements_by_mdtrt={visit.mdtrt_id: settlement})
    assert len(result["hits"]) == 15 and len(result["items"]) == 2
    assert all(h.pk for h in result["hits"]) and AuditHit.objects.filter(item__isnull=False).count() == 10
    assert ReviewEvent.objects.count() == 2



def test_a_new_settlements_hits_give_the_same_rows_without_the_lock_and_look_ups(world, django_assert_num_queries):
    """At the counter (settle_visits) the settlement is the caller's own, in its open transaction:
    new_settlements=True leaves out the lock, the look-ups of hits and items already there and the savepoint,
    and line_ids the fee-line read. The hits, items and events are those of the default path."""
    hits = [{"rule_code": code, "feedetl_sns": (str(n), str(n + 1)), "amount_fen": 100 + n}
            for n in range(1, 4) for code in ("DUP-01", "BED-01", "PRICE-W")]

    def frame(settlement):
        return hits_frame(*[{"mdtrt_id": settlement.visit.mdtrt_id, **h} for h in hits])

    def record(settlement, hits_df, **options):
        visit = settlement.visit
        return review.record_hits(hits_df, stage=HitStage.SETTLEMENT, visits_by_mdtrt={visit.mdtrt_id: visit},
                                  settlements_by_mdtrt={visit.mdtrt_id: settlement}, **options)

    def stored(settlement):
        lines = {line.pk: line.feedetl_sn for line in FeeLine.objects.filter(visit=settlement.visit)}
        return (
            sorted((h.rule_code, h.severity, tuple(h.feedetl_sns), tuple(lines[i] for i in h.fee_line_ids), h.amount,
                    h.evidence, h.institution_id, h.item.amount_at_stake if h.item else None)
                   for h in AuditHit.objects.filter(settlement=settlement).select_related("item")),
            sorted((i.rule.code, i.amount_at_stake, i.state, i.visit_id == settlement.visit_id)
                   for i in SuspectItem.objects.filter(settlement=settlement)),
            sorted((e.action, e.amount, e.reason) for e in ReviewEvent.objects.filter(item__settlement=settlement)),
        )

    before = world.settled_visit()
    default = record(before, frame(before))
    fresh = world.settled_visit()
    line_ids = {(v, sn): pk for v, sn, pk in FeeLine.objects.filter(visit=fresh.visit).values_list(
        "visit_id", "feedetl_sn", "pk")}
    fresh_hits = frame(fresh)
    with django_assert_num_queries(2) as queries:  # the rules; the items, their events and the hits in one statement
        counter = record(fresh, fresh_hits, new_settlements=True, line_ids=line_ids)
    # that statement's text is the same for any number of hits and items: prepared once per connection
    assert queries.captured_queries[-1]["sql"].startswith("EXECUTE core_")
    assert len(counter["hits"]) == len(default["hits"]) == 9 and len(counter["items"]) == len(default["items"]) == 2
    assert all(h.pk for h in counter["hits"])
    assert stored(fresh) == stored(before)
    assert stored(fresh)[0][0][3] == ("1", "2")  # the fee lines named through line_ids


def test_the_counters_prepared_statement_writes_no_table_with_history_triggers(db):
    """record_new's statement is an EXECUTE, in front of which pghistory sends no context (core.statements): none
    of its tables may have history triggers, whose events would lose their context."""
    tables = [m._meta.db_table for m in (AuditHit, SuspectItem, ReviewEvent)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgrelid::regclass::text FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
                       "WHERE p.prosrc LIKE '%%_pgh_attach_context%%' AND tgrelid::regclass::text = ANY(%s)", [tables])
        assert cursor.fetchall() == []
        cursor.execute("SELECT count(*) FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
                       "WHERE p.prosrc LIKE '%%_pgh_attach_context%%'")
        assert cursor.fetchone()[0] > 0  # the query finds history triggers where there are some
