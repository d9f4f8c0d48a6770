"""The pages of the special-case review (特病单议, docs/dip.md), under /dip/special-cases/. An institution login
asks for its high cases, sees its requests and withdraws an open one; the bureau sees the queue of open requests;
a caseworker proposes, a second caseworker decides (four eyes). Anyone else: 403; another institution's request:
404. Forms check the shape; the verbs (casemix.special_cases) decide whether a step is allowed."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from claims.errors import ServiceError
from claims.models import Settlement
from insurance.models import Institution

from . import special_cases
from . import special_selectors as sel
from .models import CaseKind, DipCaseResult, DipGroup
from .permissions import (
    can_decide_special_case,
    can_handle_special_case,
    can_withdraw_special_case,
    proposed_it,
)
from .special_models import SpecialCaseState
from .views import page_scope, render_page

REASON = {"widget": forms.Textarea(attrs={"rows": 3}), "max_length": special_cases.REASON_MAX}


class AskForm(forms.Form):
    settlement = forms.ModelChoiceField(label=gettext_lazy("高倍率病例"), queryset=Settlement.objects.none())
    reason = forms.CharField(label=gettext_lazy("申请理由"), **REASON)
    evidence = forms.CharField(label=gettext_lazy("佐证说明"), required=False, **REASON)

    def __init__(self, *args, cases=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["settlement"]
        field.queryset = Settlement.objects.filter(pk__in=[c.settlement_id for c in cases])
        labels = {c.settlement_id: _("%(setl)s · 病种 %(grp)s · 费用 %(fee)s · %(pts)s 点") % {
            "setl": c.settlement.setl_id, "grp": c.group_code, "fee": f"{c.medfee_sumamt:,.2f}",
            "pts": f"{c.points:,.4f}"} for c in cases}
        field.label_from_instance = lambda s: labels.get(s.pk, s.setl_id)


class StepForm(forms.Form):
    approve = forms.TypedChoiceField(label=gettext_lazy("意见"), widget=forms.RadioSelect, coerce=lambda v: v == "1",
                                     choices=[("1", gettext_lazy("同意按项目付费")), ("0", gettext_lazy("不同意"))])
    reason = forms.CharField(label=gettext_lazy("理由"), **REASON)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("撤回理由"), **REASON)


def _scope(user) -> int | None:
    return page_scope(user, _("只有医保经办机构和医药机构可以查看特病单议。"))


def _errors(form, exc: ServiceError) -> None:
    for err in exc.errors:
        form.add_error(err["field"] if err.get("field") in form.fields else None, err["message"])


def _rows(requests) -> list[dict]:
    return [{"request": r, "state": sel.state_of(r)} for r in requests]


def _list(request, own, ask_form=None, status=200):
    if own is None:
        everything = request.GET.get("stas") == "all"
        rows = _rows(sel.requests().order_by("-created_at", "-pk") if everything else sel.queue())
        return render_page(request, "casemix/special_list.html", {"rows": rows, "everything": everything})
    institution = get_object_or_404(Institution, pk=own)
    cases = sel.askable_cases(institution)
    return render_page(request, "casemix/special_list.html", {
        "rows": _rows(sel.institution_requests(own)), "institution": institution, "cases": cases,
        "ask_form": ask_form or AskForm(cases=cases)}, status=status)


@login_required
@require_safe
def special_list(request):
    return _list(request, _scope(request.user))


@login_required
@require_POST
def special_ask(request):
    own = _scope(request.user)
    if own is None:
        raise PermissionDenied(_("只有医药机构可以申请特病单议。"))
    cases = sel.askable_cases(get_object_or_404(Institution, pk=own))
    form = AskForm(request.POST, cases=cases)
    if form.is_valid():
        try:
            created = special_cases.ask(form.cleaned_data["settlement"], user=request.user,
                                        reason=form.cleaned_data["reason"], evidence=form.cleaned_data["evidence"])
        except ServiceError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("特病单议申请已提交。"))
            return redirect(reverse("casemix:special-case", args=[created.pk]))
    return _list(request, own, ask_form=form, status=400)


def _get(request, pk):
    own = _scope(request.user)
    obj = get_object_or_404(sel.requests(), pk=pk)
    if own is not None and obj.institution_id != own:
        raise Http404
    return obj


def _detail(request, obj, *, form=None, error=None, status=200):
    state = sel.state_of(obj)
    result = DipCaseResult.objects.filter(run_id=obj.run_id, settlement_id=obj.settlement_id).first()
    group = (DipGroup.objects.filter(table_id=obj.run.table_id, code=result.group_code).first()
             if result is not None else None)
    open_ = state in (SpecialCaseState.OPEN, SpecialCaseState.PROPOSED)
    handler = can_handle_special_case.test(request.user)
    may_propose = handler and state == SpecialCaseState.OPEN
    may_decide = handler and state == SpecialCaseState.PROPOSED and can_decide_special_case.test(request.user, obj)
    may_withdraw = open_ and can_withdraw_special_case.test(request.user, obj)
    if form is None:
        form = WithdrawForm() if may_withdraw else StepForm()
    return render_page(request, "casemix/special_detail.html", {
        "obj": obj, "state": state, "result": result, "group": group,
        "kind": CaseKind(result.kind).label if result is not None else "",
        "steps": list(obj.steps.all()), "proposal": sel.proposal(obj), "form": form, "error": error,
        "may_propose": may_propose, "may_decide": may_decide, "may_withdraw": may_withdraw,
        "four_eyes": handler and state == SpecialCaseState.PROPOSED and proposed_it.test(request.user, obj)},
        status=status)


@login_required
@require_safe
def special_detail(request, pk: int):
    return _detail(request, _get(request, pk))


def _step(request, pk, verb, form_class, extra):
    obj = _get(request, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            verb(obj, user=request.user, reason=form.cleaned_data["reason"], **extra(form.cleaned_data))
        except PermissionDenied as exc:  # four eyes, or not a caseworker
            return _detail(request, sel.requests().get(pk=pk), form=form, error=str(exc), status=403)
        except ServiceError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("已记录。"))
            return redirect(reverse("casemix:special-case", args=[pk]))
    return _detail(request, sel.requests().get(pk=pk), form=form, status=400)


@login_required
@require_POST
def special_propose(request, pk: int):
    return _step(request, pk, special_cases.propose, StepForm, lambda d: {"approve": d["approve"]})


@login_required
@require_POST
def special_decide(request, pk: int):
    return _step(request, pk, special_cases.decide, StepForm, lambda d: {"approve": d["approve"]})


@login_required
@require_POST
def special_withdraw(request, pk: int):
    return _step(request, pk, special_cases.withdraw, WithdrawForm, lambda d: {})
