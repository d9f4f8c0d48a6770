"""The three-level budget (基金预算 → 区县预算 → 机构年度控制指标), the item-by-item classification and the
"两上两下" index negotiation with its roles.

Roles. Bureau steps need the permission fund_budget.negotiate_bureau (group "fund_bureau"); institution
steps need fund_budget.negotiate_institution (group "fund_institution") and is_institution_user(user,
institution): the login must be linked to that institution through insurance.InstitutionUser.

Item by item. An institution whose previous-year spending of a fund is below the year's threshold for that
fund (FundThreshold) is paid item by item, outside the global budget. prepare_indices() writes that flag on
draft index rows whose mode is "computed"; a mode set by hand ("explicit") is never recomputed.
"""
from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.models import Settlement
from core.display import money_text, percent_text
from core.periods import year_bounds
from insurance import models as insurance_models
from insurance.models import Institution

from . import funds
from .common import ZERO, FundError, money, parameters_for
from .models import (
    ClearingReport,
    ClearingStatus,
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

BUREAU_GROUP = "fund_bureau"
INSTITUTION_GROUP = "fund_institution"
BUREAU_PERM = "fund_budget.negotiate_bureau"
INSTITUTION_PERM = "fund_budget.negotiate_institution"
BUREAU, INSTITUTION = "bureau", "institution"

# action → (state before, state after, role, the negotiation's amount field)
TRANSITIONS = {
    NegotiationAction.PROPOSE: (NegotiationState.OPEN, NegotiationState.PROPOSED, INSTITUTION, "proposed_amount"),
    NegotiationAction.DRAFT: (NegotiationState.PROPOSED, NegotiationState.DRAFTED, BUREAU, "draft_amount"),
    NegotiationAction.ANSWER: (NegotiationState.DRAFTED, NegotiationState.ANSWERED, INSTITUTION, "answer_amount"),
    NegotiationAction.AGREE: (NegotiationState.ANSWERED, NegotiationState.AGREED, BUREAU, "agreed_amount"),
}


# --- budgets and indices --------------------------------------------------------------------------------


def budget_allocation(budget: FundBudget) -> dict[str, Decimal]:
    """How much of a fund budget is split into districts, and of those into agreed indices."""
    districts = money(budget.districts.aggregate(total=Sum("amount"))["total"])
    indices = money(InstitutionIndex.objects.filter(district__budget=budget).aggregate(
        total=Sum("agreed_amount"))["total"])
    return {"budget": budget.amount, "districts": districts, "indices": indices,
            "unallocated": budget.amount - districts}


def spending_by_institution(year: int, fund: str, institution_ids=None, region: str | None = None) -> dict:
    """Net spending of one fund per institution in a year (settlements minus reversals by event time), the fund's
    share of the settlements as funds.fund_amount reads it (so a past year splits by scheme as well)."""
    start, end = year_bounds(year)
    qs = Settlement.objects.filter(setl_time__gte=start, setl_time__lt=end)
    if institution_ids is not None:
        qs = qs.filter(institution_id__in=list(institution_ids))
    if region is not None:
        qs = qs.filter(institution__region=region)
    rows = qs.values("institution_id").annotate(total=funds.fund_amount(fund)).order_by()
    return {row["institution_id"]: money(row["total"]) for row in rows}


def prepare_indices(year: int, fund: str, region: str) -> dict[str, int]:
    """Create draft index rows for the region's institutions that spent the fund last year, record that
    spending on every draft row, and set item by item / budget on draft rows whose mode is computed."""
    params = parameters_for(year, region)
    if params is None:
        raise FundError(_("%(year)s 年缺少统筹区 %(region)s 的年度结算参数。") % {"year": year, "region": region})
    threshold = params.threshold(fund)
    actuals = spending_by_institution(year - 1, fund, region=region)
    before = InstitutionIndex.objects.filter(year=year, fund=fund).count()
    InstitutionIndex.objects.bulk_create(
        [InstitutionIndex(year=year, fund=fund, institution_id=i) for i in sorted(actuals)],
        ignore_conflicts=True, batch_size=2000)
    created = InstitutionIndex.objects.filter(year=year, fund=fund).count() - before
    drafts = list(InstitutionIndex.objects.filter(year=year, fund=fund, institution__region=region,
                                                  status=IndexStatus.DRAFT))
    for row in drafts:  # index rows, one per institution, not settlements
        row.last_year_actual = actuals.get(row.institution_id, ZERO)
        if row.mode_source == ModeSource.COMPUTED:
            below = threshold is not None and row.last_year_actual < threshold
            row.payment_mode = PaymentMode.ITEM_BY_ITEM if below else PaymentMode.BUDGET
    InstitutionIndex.objects.bulk_update(drafts, ["last_year_actual", "payment_mode"], batch_size=2000)
    item_by_item = sum(1 for r in drafts if r.payment_mode == PaymentMode.ITEM_BY_ITEM)
    return {"created": created, "drafts": len(drafts), "item_by_item": item_by_item,
            "budget": len(drafts) - item_by_item}


def compute_draft_index(index: InstitutionIndex) -> tuple[Decimal, str]:
    """The bureau's draft (一下): base × (1 + the year's index growth rate), where the base is last year's
    approved clearing's next-year base when there is one, else last year's actual spending of the fund."""
    params = parameters_for(index.year, index.institution.region)
    growth = params.index_growth_rate if params else Decimal("0")
    previous = ClearingReport.objects.filter(
        institution_id=index.institution_id, fund=index.fund, year=index.year - 1, status=ClearingStatus.APPROVED,
        next_base__isnull=False).first()
    if previous is not None:
        base, source = previous.next_base, _("上年清算核定的下年基数")
    else:
        base = spending_by_institution(index.year - 1, index.fund, [index.institution_id]).get(
            index.institution_id, ZERO)
        source = _("上年实际支出")
    amount = money(base * (1 + growth))
    # the note is read on the negotiation page: amounts and the rate as the pages show them
    return amount, (f"{source} {money_text(base)} × (1 + {percent_text(growth, ratio=True)}) "
                    f"= {money_text(amount)}")


# --- negotiation roles ------------------------------------------------------------------------------------


def is_institution_user(user, institution: Institution) -> bool:
    """Whether the login acts for the institution: linked to it by insurance.InstitutionUser. Until that
    model exists in a deployment (hasattr check) nobody is an institution user."""
    if not getattr(user, "is_authenticated", False) or not hasattr(insurance_models, "InstitutionUser"):
        return False
    return insurance_models.InstitutionUser.objects.filter(user=user, institution_id=institution.pk).exists()


def institutions_of(user):
    """The institutions a login acts for (for listing its negotiations)."""
    if not getattr(user, "is_authenticated", False) or not hasattr(insurance_models, "InstitutionUser"):
        return Institution.objects.none()
    return Institution.objects.filter(
        pk__in=insurance_models.InstitutionUser.objects.filter(user=user).values("institution_id"))


def has_role(user, negotiation: IndexNegotiation, role: str) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if role == BUREAU:
        return user.has_perm(BUREAU_PERM)
    return user.has_perm(INSTITUTION_PERM) and is_institution_user(user, negotiation.index.institution)


def allowed_actions(user, negotiation: IndexNegotiation) -> list[str]:
    return [action for action, (before, _after, role, _f) in TRANSITIONS.items()
            if negotiation.state == before and has_role(user, negotiation, role)]


# --- negotiation workflow ------------------------------------------------------------------------------


def _append_step(negotiation, action, before, after, amount, user, note) -> NegotiationStep:
    seq = NegotiationStep.objects.filter(negotiation=negotiation).count() + 1
    return NegotiationStep.objects.create(negotiation=negotiation, seq=seq, action=action, from_state=before,
                                          to_state=after, amount=amount, actor=user, note=note or "")


def open_negotiation(index: InstitutionIndex, user, note: str = "") -> IndexNegotiation:
    """The bureau opens the negotiation of a draft index (under the global budget)."""
    if not (getattr(user, "is_authenticated", False) and user.has_perm(BUREAU_PERM)):
        raise PermissionDenied(_("只有经办机构可以发起指标协商。"))
    if index.payment_mode != PaymentMode.BUDGET:
        raise FundError(_("按项目付费的机构不纳入总额预算，无需协商指标。"))
    with transaction.atomic():
        if not InstitutionIndex.objects.filter(pk=index.pk, status=IndexStatus.DRAFT).update(
                status=IndexStatus.NEGOTIATING):
            raise FundError(_("该指标不是草拟状态，不能发起协商。"))
        negotiation = IndexNegotiation.objects.create(index=index)
        _append_step(negotiation, NegotiationAction.OPEN, "", NegotiationState.OPEN, None, user, note)
    index.refresh_from_db()
    return negotiation


def take_step(negotiation: IndexNegotiation, action: str, user, *, amount=None, note: str = "") -> IndexNegotiation:
    """One step of "两上两下"; refuses a step out of order or by the wrong role.

    propose: the institution's amount (required). draft: the bureau's amount, computed from last year
    (compute_draft_index) unless given. answer: the institution's amount; none accepts the draft.
    agree: the bureau's final amount; none agrees to the institution's answer."""
    if action not in TRANSITIONS:
        raise FundError(_("未知的协商操作：%(action)s") % {"action": action})
    before, after, role, field = TRANSITIONS[action]
    negotiation = IndexNegotiation.objects.select_related("index__institution").get(pk=negotiation.pk)
    if not has_role(user, negotiation, role):
        raise PermissionDenied(_("当前用户无权执行此协商步骤。"))
    computed_note = ""
    if amount is None or amount == "":
        if action == NegotiationAction.PROPOSE:
            raise FundError(_("请填写申报金额。"))
        if action == NegotiationAction.DRAFT:
            amount, computed_note = compute_draft_index(negotiation.index)
        elif action == NegotiationAction.ANSWER:
            amount, computed_note = negotiation.draft_amount, _("同意草案")
        else:
            amount = negotiation.answer_amount
    amount = money(amount)
    if amount < 0:
        raise FundError(_("金额不能为负数。"))
    note = "；".join(part for part in (computed_note, (note or "").strip()) if part)
    with transaction.atomic():
        changed = IndexNegotiation.objects.filter(pk=negotiation.pk, state=before).update(
            state=after, updated_at=timezone.now(), **{field: amount})
        if not changed:
            raise FundError(_("协商状态已变化，请刷新后重试。"))
        _append_step(negotiation, action, before, after, amount, user, note)
        if action == NegotiationAction.AGREE:
            InstitutionIndex.objects.filter(pk=negotiation.index_id).update(
                agreed_amount=amount, status=IndexStatus.AGREED, agreed_at=timezone.now())
    negotiation.refresh_from_db()
    return negotiation


def propose(negotiation, user, amount, note: str = ""):
    return take_step(negotiation, NegotiationAction.PROPOSE, user, amount=amount, note=note)


def draft(negotiation, user, amount=None, note: str = ""):
    return take_step(negotiation, NegotiationAction.DRAFT, user, amount=amount, note=note)


def answer(negotiation, user, amount=None, note: str = ""):
    return take_step(negotiation, NegotiationAction.ANSWER, user, amount=amount, note=note)


def agree(negotiation, user, amount=None, note: str = ""):
    return take_step(negotiation, NegotiationAction.AGREE, user, amount=amount, note=note)
