"""The three-level budget, the item-by-item classification, and "两上两下" with its roles at every step."""
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction

from fund_budget import budget
from fund_budget.common import FundError
from fund_budget.models import (
    ClearingReport,
    ClearingSide,
    ClearingStatus,
    DistrictBudget,
    Fund,
    FundBudget,
    IndexNegotiation,
    IndexStatus,
    InstitutionIndex,
    ModeSource,
    NegotiationAction,
    NegotiationState,
    NegotiationStep,
    PaymentMode,
)
from insurance import models as insurance_models

from .conftest import local, make_institution, make_settlement, reverse, threshold, worked_parameters

pytestmark = pytest.mark.django_db
D = Decimal
needs_link = pytest.mark.skipif(not hasattr(insurance_models, "InstitutionUser"),
                                reason="insurance.InstitutionUser is not there yet")


def user_in(name: str, group: str | None = None, institution=None) -> User:
    user = User.objects.create_user(name, password="x")
    if group:
        user.groups.add(Group.objects.get(name=group))
    if institution is not None:
        insurance_models.InstitutionUser.objects.create(user=user, institution=institution)
    return User.objects.get(pk=user.pk)  # fresh permission cache


@pytest.fixture
def setting(db, person, policy):
    params = worked_parameters(2026, index_growth_rate=D("0.04"))
    worked_parameters(2025)
    hospital = make_institution(40)
    other = make_institution(41)
    # 2025 spending of the pooling fund: 100,000 + 500,000 − the 100,000 reversed + 100,000 = 600,000
    s = make_settlement(hospital, local(2025, 6, 1), person=person, policy=policy, hifp="100000", hifob="7")
    make_settlement(hospital, local(2025, 7, 1), person=person, policy=policy, hifp="500000")
    reverse(s, local(2025, 8, 1))
    make_settlement(hospital, local(2025, 9, 1), person=person, policy=policy, hifp="100000")
    make_settlement(other, local(2025, 9, 1), person=person, policy=policy, hifp="30000")
    make_settlement(hospital, local(2026, 1, 2), person=person, policy=policy, hifp="999")  # not last year
    index = InstitutionIndex.objects.create(year=2026, institution=hospital, fund=Fund.EMPLOYEE_POOL)
    return {"params": params, "hospital": hospital, "other": other, "index": index,
            "bureau": user_in("bureau", "fund_bureau"), "plain": user_in("plain")}


def test_budget_split_into_districts_and_indices(setting):
    fund_budget = FundBudget.objects.create(year=2026, region="410800", fund=Fund.EMPLOYEE_POOL, amount=D("100000000"))
    district = DistrictBudget.objects.create(budget=fund_budget, district="410802", name="解放区", amount=D("40000000"))
    DistrictBudget.objects.create(budget=fund_budget, district="410803", name="中站区", amount=D("35000000"))
    InstitutionIndex.objects.filter(pk=setting["index"].pk).update(district=district, agreed_amount=D("520000"),
                                                                    status=IndexStatus.AGREED)
    assert budget.budget_allocation(fund_budget) == {
        "budget": D("100000000"), "districts": D("75000000.00"), "indices": D("520000.00"),
        "unallocated": D("25000000.00")}


def test_prepare_indices_flags_item_by_item_from_last_years_spending(setting):
    threshold(setting["params"], Fund.EMPLOYEE_POOL, "50000")
    small = setting["other"]
    pinned = make_institution(42)
    InstitutionIndex.objects.create(year=2026, institution=pinned, fund=Fund.EMPLOYEE_POOL, mode_source=ModeSource.EXPLICIT,
                                    payment_mode=PaymentMode.BUDGET)
    counts = budget.prepare_indices(2026, Fund.EMPLOYEE_POOL, "410800")
    assert counts == {"created": 1, "drafts": 3, "item_by_item": 1, "budget": 2}
    rows = {i.institution_id: i for i in InstitutionIndex.objects.filter(year=2026)}
    assert (rows[setting["hospital"].pk].payment_mode, rows[setting["hospital"].pk].last_year_actual) == (
        PaymentMode.BUDGET, D("600000.00"))
    assert (rows[small.pk].payment_mode, rows[small.pk].last_year_actual) == (PaymentMode.ITEM_BY_ITEM, D("30000.00"))
    assert rows[pinned.pk].payment_mode == PaymentMode.BUDGET  # set by hand: kept although it spent nothing
    assert budget.prepare_indices(2026, Fund.EMPLOYEE_POOL, "410800")["created"] == 0


def test_draft_is_last_years_actual_times_growth_or_the_clearing_base(setting):
    index = setting["index"]
    amount, note = budget.compute_draft_index(index)
    assert amount == D("624000.00")  # 600,000 × 1.04, the note formatted as the pages show figures
    assert note == "上年实际支出 600,000.00 × (1 + 4.0%) = 624,000.00"
    prev = InstitutionIndex.objects.create(year=2025, institution=setting["hospital"], agreed_amount=D("550000"),
                                           status=IndexStatus.AGREED)
    ClearingReport.objects.create(
        index=prev, year=2025, institution=setting["hospital"], fund=Fund.EMPLOYEE_POOL, side=ClearingSide.UNDER, rating="A",
        assessment_score=D("100"), index_amount=D("550000"), fund_total=D("0"), deductions=D("0"), actual=D("0"),
        withheld=D("0"), due=D("0"), returned=D("0"), final=D("0"), next_base=D("566500"),
        status=ClearingStatus.APPROVED, computed_at=local(2026, 3, 1), approved_at=local(2026, 3, 2))
    assert budget.compute_draft_index(index)[0] == D("589160.00")  # 566,500 × 1.04


@needs_link
def test_two_up_two_down_with_roles_at_each_step(setting):
    index, bureau, plain = setting["index"], setting["bureau"], setting["plain"]
    own = user_in("hospital_user", "fund_institution", setting["hospital"])
    stranger = user_in("other_user", "fund_institution", setting["other"])
    unlinked = user_in("unlinked", "fund_institution")

    for who in (own, plain):
        with pytest.raises(PermissionDenied):
            budget.open_negotiation(index, who)
    negotiation = budget.open_negotiation(index, bureau, note="2026年度指标")
    assert InstitutionIndex.objects.get(pk=index.pk).status == IndexStatus.NEGOTIATING

    def refused(action, *users, **kw):
        for who in users:
            with pytest.raises(PermissionDenied):
                budget.take_step(negotiation, action, who, **kw)
        assert IndexNegotiation.objects.get(pk=negotiation.pk).state == before

    before = NegotiationState.OPEN
    refused(NegotiationAction.PROPOSE, bureau, stranger, unlinked, plain, amount="700000")
    assert budget.allowed_actions(own, negotiation) == [NegotiationAction.PROPOSE]
    assert budget.allowed_actions(bureau, negotiation) == []
    negotiation = budget.propose(negotiation, own, "700000", note="新增心内科病区")  # 一上
    with pytest.raises(FundError):
        budget.propose(negotiation, own, "710000")  # not twice

    before = NegotiationState.PROPOSED
    refused(NegotiationAction.DRAFT, own, stranger, plain)
    negotiation = budget.draft(negotiation, bureau)  # 一下: 600,000 × 1.04
    assert negotiation.draft_amount == D("624000.00")

    before = NegotiationState.DRAFTED
    refused(NegotiationAction.ANSWER, bureau, stranger, unlinked, plain, amount="650000")
    negotiation = budget.answer(negotiation, own, "650000", note="请求考虑新病区")  # 二上

    before = NegotiationState.ANSWERED
    refused(NegotiationAction.AGREE, own, stranger, plain)
    negotiation = budget.agree(negotiation, bureau, "640000")  # 二下
    assert negotiation.state == NegotiationState.AGREED
    index.refresh_from_db()
    assert (index.status, index.agreed_amount) == (IndexStatus.AGREED, D("640000.00")) and index.agreed_at

    steps = list(negotiation.steps.values_list("seq", "action", "to_state", "amount", "actor__username"))
    assert steps == [
        (1, "open", "open", None, "bureau"), (2, "propose", "proposed", D("700000.00"), "hospital_user"),
        (3, "draft", "drafted", D("624000.00"), "bureau"), (4, "answer", "answered", D("650000.00"), "hospital_user"),
        (5, "agree", "agreed", D("640000.00"), "bureau")]
    assert "上年实际支出" in negotiation.steps.get(seq=3).note
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic():
            NegotiationStep.objects.filter(negotiation=negotiation).update(amount=0)


@needs_link
def test_answer_without_amount_accepts_the_draft_and_agree_without_amount_takes_the_answer(setting):
    own = user_in("hospital_user", "fund_institution", setting["hospital"])
    negotiation = budget.open_negotiation(setting["index"], setting["bureau"])
    budget.propose(negotiation, own, "650000")
    budget.draft(negotiation, setting["bureau"], "630000", note="参考同级机构")
    negotiation = budget.answer(negotiation, own)
    assert negotiation.answer_amount == D("630000.00")
    negotiation = budget.agree(negotiation, setting["bureau"])
    assert InstitutionIndex.objects.get(pk=setting["index"].pk).agreed_amount == D("630000.00")


def test_item_by_item_and_agreed_indices_are_not_negotiated(setting):
    InstitutionIndex.objects.filter(pk=setting["index"].pk).update(payment_mode=PaymentMode.ITEM_BY_ITEM)
    with pytest.raises(FundError):
        budget.open_negotiation(InstitutionIndex.objects.get(pk=setting["index"].pk), setting["bureau"])
    agreed = InstitutionIndex.objects.create(year=2026, institution=setting["other"], agreed_amount=D("1"),
                                             status=IndexStatus.AGREED)
    with pytest.raises(FundError):
        budget.open_negotiation(agreed, setting["bureau"])


@needs_link
def test_negotiation_pages_enforce_roles(setting, client):
    own = user_in("hospital_user", "fund_institution", setting["hospital"])
    stranger = user_in("other_user", "fund_institution", setting["other"])
    negotiation = budget.open_negotiation(setting["index"], setting["bureau"])
    url = f"/fund/negotiations/{negotiation.pk}/"

    client.force_login(stranger)
    assert client.get(url).status_code == 404  # not its institution
    assert negotiation.index.institution.fixmedins_code not in client.get("/fund/negotiations/").content.decode()
    client.force_login(setting["plain"])
    assert client.get("/fund/negotiations/").status_code == 403

    client.force_login(setting["bureau"])
    assert client.post(url, {"action": "propose", "amount": "1"}).status_code == 403
    client.force_login(own)
    page = client.get(url).content.decode()
    assert 'value="propose"' in page
    response = client.post(url, {"action": "propose", "amount": "700,000.00", "note": "申报"})
    assert response.status_code == 302
    assert IndexNegotiation.objects.get(pk=negotiation.pk).proposed_amount == D("700000.00")
    assert client.post(url, {"action": "draft"}).status_code == 403

    client.force_login(setting["bureau"])
    client.post(url, {"action": "draft", "amount": ""})
    assert IndexNegotiation.objects.get(pk=negotiation.pk).draft_amount == D("624000.00")
    page = client.get(url).content.decode()
    assert "上年实际支出" in page and setting["hospital"].fixmedins_code in client.get(
        "/fund/negotiations/").content.decode()
