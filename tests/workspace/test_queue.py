"""The review queue at scale (issue 16): bulk confirm / dismiss from the queue, the XLSX export of the filtered
queue, the item page's next item in the same filtered order, and a constant number of queries per page."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from fund_budget.models import AuditDeduction
from review import services as review
from review.models import ReviewEvent, SuspectState

QUEUE = reverse("workspace:queue")
BULK = reverse("workspace:queue-bulk")
EXPORT = reverse("workspace:queue-export")


def states(*items):
    for item in items:
        item.refresh_from_db()
    return [item.state for item in items]


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- the page --------------------------------------------------------------------------------------------


def test_reviewers_get_checkboxes_and_the_bulk_form_others_do_not(world, login):
    item = world.item()
    body = login(world.reviewer).get(QUEUE).content.decode()
    assert 'id="bulk-form"' in body and 'id="select-all"' in body
    assert f'name="items" value="{item.pk}"' in body and 'form="bulk-form"' in body
    for role in ("caseworker", "appeal_reviewer", "supervisor"):
        body = login(getattr(world, role)).get(QUEUE).content.decode()
        assert 'id="bulk-form"' not in body and 'name="items"' not in body, role


def test_person_name_visit_link_money_and_state_label(world, login):
    item = world.item(amount_fen=123456)
    visit = item.visit
    body = login(world.caseworker).get(QUEUE).content.decode()
    assert visit.person.name in body
    assert f'href="{reverse("workspace:visit", args=[visit.mdtrt_id])}"' in body
    assert "1,234.56" in body  # |money: two decimals, thousands separators
    assert "待审核" in body and ">pending<" not in body
    assert "review-keys.js" in body and "?" in body and "j/k" in body  # the keys and their help line


def test_the_queue_costs_the_same_queries_for_3_or_12_items(world, login):
    client = login(world.reviewer)
    for _ in range(3):
        world.item(settlement=world.settled_visit(institution=world.inst_b))
    client.get(QUEUE)  # warm the session and the caches of the first request

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(QUEUE).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for _ in range(9):
        world.item()
    assert count() == few  # no query per row: person, visit, institution, rule come with the items


# --- bulk verbs ------------------------------------------------------------------------------------------


def test_bulk_dismiss_of_checked_items_keeps_the_filters(world, login):
    a, b, c = world.item(), world.item(), world.item()
    client = login(world.reviewer)
    query = f"rule={world.dup_rule.pk}&state=pending&sort=-amount_at_stake"  # the queue's key order
    r = client.post(f"{BULK}?{query}", {"action": "dismiss", "items": [a.pk, b.pk], "reason": "复查有医嘱"})
    assert r.status_code == 302 and r["Location"] == f"{QUEUE}?{query}"
    assert states(a, b, c) == [SuspectState.DISMISSED, SuspectState.DISMISSED, SuspectState.PENDING]
    assert ReviewEvent.objects.filter(item__in=[a, b], action="dismissed", reason="复查有医嘱").count() == 2
    assert texts(r) == ["已排除 2 条疑点。"]


def test_bulk_confirm_deducts_the_amounts_at_stake(world, login):
    a, b = world.item(amount_fen=5000), world.item(amount_fen=2500)
    r = login(world.reviewer).post(BULK, {"action": "confirm", "items": [a.pk, b.pk], "reason": "属实"})
    assert r.status_code == 302
    assert states(a, b) == [SuspectState.CONFIRMED, SuspectState.CONFIRMED]
    assert sorted(AuditDeduction.objects.values_list("amount", flat=True)) == [Decimal("25.00"), Decimal("50.00")]


def test_bulk_with_mixed_states_reports_what_was_skipped_and_why(world, login):
    pending, confirmed = world.item(), world.confirmed()
    r = login(world.reviewer2).post(BULK, {"action": "dismiss", "items": [pending.pk, confirmed.pk],
                                           "reason": "批量排除"})
    assert r.status_code == 302
    assert states(pending, confirmed) == [SuspectState.DISMISSED, SuspectState.CONFIRMED]
    done, skipped = texts(r)
    assert done == "已排除 1 条疑点。"
    assert skipped.startswith("跳过 1 条：") and f"#{confirmed.pk}" in skipped and "已确认扣款" in skipped


@pytest.mark.parametrize("role", ["caseworker", "appeal_reviewer", "supervisor", "hosp_a", "nobody"])
def test_bulk_is_for_reviewers_only(world, login, role):
    item = world.item()
    r = login(getattr(world, role)).post(BULK, {"action": "dismiss", "items": [item.pk], "reason": "x"})
    assert r.status_code == 403
    assert states(item) == [SuspectState.PENDING]


@pytest.mark.parametrize("data, error", [
    ({"action": "dismiss", "items": [], "reason": "x"}, "请至少勾选一条疑点。"),
    ({"action": "dismiss", "reason": ""}, "该字段是必填项。"),
    ({"action": "delete", "reason": "x"}, "delete"),
    ({"action": "dismiss", "items": ["999999"], "reason": "x"}, "999999"),
])
def test_bad_bulk_input_is_a_400_naming_the_field_and_writes_nothing(world, login, data, error):
    item = world.item()
    if "items" not in data:
        data = {**data, "items": [item.pk]}
    r = login(world.reviewer).post(BULK, data)
    assert r.status_code == 400
    assert error in r.content.decode()
    assert states(item) == [SuspectState.PENDING]


# --- export ----------------------------------------------------------------------------------------------


def test_export_is_the_filtered_queue_with_labels_and_money_numbers(world, login):
    a = world.item(amount_fen=123456)
    b = world.item(amount_fen=700)
    world.item(settlement=world.settled_visit(institution=world.inst_b))  # filtered out
    review.confirm_item(b, user=world.reviewer, amount=Decimal("3.50"), reason="属实")
    r = login(world.caseworker).get(f"{EXPORT}?state=&institution={world.inst_a.pk}&sort=-amount_at_stake")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert r["Content-Disposition"].startswith('attachment; filename="review-queue-')
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:3] == ("编号", "机构编码", "医药机构") and "参保人" in header and "疑点金额" in header
    assert [row[0] for row in rows[1:]] == [a.pk, b.pk]  # the table's sort: amount, largest first
    first = dict(zip(header, rows[1], strict=True))
    assert first["疑点金额"] == 1234.56 and first["状态"] == "待审核"
    assert first["参保人"] == a.visit.person.name and first["就诊"] == a.visit.mdtrt_id
    assert first["医疗类别"] == a.visit.med_type_label  # a label, not the code
    second = dict(zip(header, rows[2], strict=True))
    assert second["状态"] == "已确认扣款" and second["确认扣款金额"] == 3.5
    money = header.index("疑点金额") + 1
    assert sheet.cell(row=2, column=money).number_format == "#,##0.00"
    assert sheet.cell(row=1, column=1).font.bold


def test_export_is_for_bureau_roles(world, login):
    world.item()
    assert login(world.hosp_a).get(EXPORT).status_code == 403


# --- next item -------------------------------------------------------------------------------------------


def test_item_page_links_to_the_next_and_previous_items_of_its_queue(world, login):
    a, b, c = world.item(amount_fen=3000), world.item(amount_fen=9000), world.item(amount_fen=6000)
    client = login(world.reviewer)
    query = "state=pending&sort=-amount_at_stake"
    body = client.get(f"{reverse('workspace:item', args=[c.pk])}?{query}").content.decode()
    assert f'href="/ws/items/{a.pk}/?{query.replace("&", "&amp;")}" id="next-item"' in body
    assert f'href="/ws/items/{b.pk}/?{query.replace("&", "&amp;")}" id="previous-item"' in body
    assert f'action="/ws/items/{c.pk}/dismiss/?{query.replace("&", "&amp;")}"' in body
    # the queue's links to the items carry the queue
    body = client.get(f"{QUEUE}?{query}").content.decode()
    assert f'href="/ws/items/{b.pk}/?{query.replace("&", "&amp;")}"' in body


def test_after_a_verb_the_next_open_item_of_the_same_filtered_queue(world, login):
    a = world.item(amount_fen=3000)
    other = world.item(amount_fen=8000, settlement=world.settled_visit(institution=world.inst_b))
    b = world.item(amount_fen=9000)
    c = world.item(amount_fen=6000)
    client = login(world.reviewer)
    query = f"institution={world.inst_a.pk}&state=pending&sort=-amount_at_stake"
    # b (90) → c (60) → a (30); `other` (80) is of institution B, filtered out
    r = client.post(f"{reverse('workspace:item-dismiss', args=[b.pk])}?{query}", {"reason": "无问题"})
    assert r.status_code == 302 and r["Location"] == f"/ws/items/{c.pk}/?{query}"
    review.dismiss_item(a, user=world.reviewer2, reason="已处理")  # decided meanwhile: skipped
    r = client.post(f"{reverse('workspace:item-confirm', args=[c.pk])}?{query}",
                    {"amount": "60.00", "reason": "属实"})
    assert r.status_code == 302 and r["Location"] == f"{QUEUE}?{query}"  # nothing open left: the queue
    assert texts(r)[-1] == f"疑点 #{c.pk} 已确认，扣款已登记。"
    assert states(other) == [SuspectState.PENDING]


def test_item_page_without_a_queue_walks_the_default_queue(world, login):
    a, b = world.item(), world.item()
    body = login(world.reviewer).get(reverse("workspace:item", args=[a.pk])).content.decode()
    assert f'href="/ws/items/{b.pk}/?state=pending" id="next-item"' in body
    assert 'id="previous-item"' not in body
