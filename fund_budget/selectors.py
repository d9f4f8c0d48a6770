"""The queries behind the statement and clearing pages, exports and PDFs: rows scoped to the user (the bureau
sees every institution, an institution login its own; fund_budget.permissions), a statement's arithmetic
as lines in words, the same lines on the page, in the workbook and on paper, and what the pages show of a
month's reopening (fund_budget.reopening)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .dip_line import report_dip
from .models import (
    ClearingReport,
    ClearingStatus,
    Disbursement,
    DisbursementStatus,
    MonthlyRun,
    MonthlyStatement,
    MonthReopeningRequest,
    SupersededStatement,
)
from .permissions import can_approve_reopening, can_request_reopening, institution_of, is_fund_bureau


def _scoped(qs: QuerySet, user) -> QuerySet:
    if is_fund_bureau.test(user):
        return qs
    institution_id = institution_of(user)
    if institution_id is None:
        return qs.none()
    return qs.filter(institution_id=institution_id)


def statements_for(user, *, superseded: bool = False) -> QuerySet:
    """The current monthly statements the user may read, newest month first; with superseded=True also those a
    reopening superseded (one statement's page and files, which say so)."""
    qs = MonthlyStatement.objects.all() if superseded else MonthlyStatement.objects.current()
    return _scoped(qs.select_related("institution", "run"), user).order_by("-month", "institution__fixmedins_code")


def clearings_for(user) -> QuerySet:
    """The clearing reports the user may read, newest year first."""
    return _scoped(ClearingReport.objects.select_related("institution", "approved_by"), user).order_by(
        "-year", "institution__fixmedins_code", "fund")


def statement_months(user) -> list:
    """The months that have statements the user may read (for the month filter), newest first."""
    return list(statements_for(user).order_by("-month").values_list("month", flat=True).distinct())


def clearing_years(user) -> list[int]:
    return list(clearings_for(user).order_by("-year").values_list("year", flat=True).distinct())


@dataclass(frozen=True)
class FormulaLine:
    """One line of a statement's arithmetic: what it is, how it is made (in words), the amount."""

    key: str
    label: str
    formula: str
    amount: Decimal
    total: bool = False  # a result line (shown in bold)


def _label(name: str) -> str:
    return str(MonthlyStatement._meta.get_field(name).verbose_name)


def rate_text(rate: Decimal) -> str:
    """A rate as a percentage without trailing zeros: 0.05 → 5%, 0.025 → 2.5%."""
    return f"{(rate * 100).normalize():f}%"


def statement_formula(st: MonthlyStatement) -> list[FormulaLine]:
    """The statement's figures in the order of the spec's formula (fund amount, withheld, deductions,
    payable, net payable), each with its formula in words. Only the stored figures are shown: a statement
    never changes, and nothing here recomputes it."""
    rate = rate_text(st.withholding_rate)
    lines = [
        FormulaLine("ffs_fund_amount", _label("ffs_fund_amount"), _("fund payments of the month's settlements, "
                                                                    "less the month's cancellations"),
                    st.ffs_fund_amount),
        FormulaLine("standard_gain_loss", _label("standard_gain_loss"),
                    _("per-bed-day and per-disease visits: standard − personal part, less the fee-for-service "
                      "fund payment"), st.standard_gain_loss),
        FormulaLine("fund_amount", _label("fund_amount"),
                    f"{_label('ffs_fund_amount')} + {_label('standard_gain_loss')}", st.fund_amount, total=True),
        FormulaLine("withheld", _label("withheld"), f"{_label('fund_amount')} × {rate}", st.withheld),
        FormulaLine("deductions_confirmed", _label("deductions_confirmed"),
                    _("audit deductions confirmed in the month"), st.deductions_confirmed),
        FormulaLine("deductions_reversed", _label("deductions_reversed"),
                    _("deductions reversed on appeal in the month"), st.deductions_reversed),
        FormulaLine("deductions", _label("deductions"),
                    f"{_label('deductions_confirmed')} − {_label('deductions_reversed')}", st.deductions),
    ]
    payable = f"{_label('fund_amount')} − {_label('withheld')} − {_label('deductions')}"
    if st.capitation_amount:
        lines.append(FormulaLine("capitation_amount", _label("capitation_amount"),
                                 _("contracted heads × monthly rate"), st.capitation_amount))
        payable += f" + {_label('capitation_amount')}"
    lines.append(FormulaLine("payable", _label("payable"), payable, st.payable, total=True))
    lines.append(FormulaLine("offset_amount", _label("offset_amount"),
                             _("amounts the institution owed from earlier (negative payments)"), st.offset_amount))
    lines.append(FormulaLine("net_payable", _label("net_payable"),
                             f"{_label('payable')} + {_label('offset_amount')}", st.net_payable, total=True))
    return lines


def statement_parts(st: MonthlyStatement) -> dict:
    """What a statement page and its PDF show besides the formula: fund lines, payment-method lines and the
    payment (or receivable) it made."""
    return {
        "formula": statement_formula(st),
        "rate": rate_text(st.withholding_rate),
        "fund_lines": list(st.lines.order_by("fund")),
        "method_lines": list(st.method_lines.order_by("method")),
        "disbursement": Disbursement.objects.filter(statement=st).first(),
    }


def clearing_parts(report: ClearingReport) -> dict:
    return {"lines": list(report.lines.order_by("seq")),
            "disbursement": Disbursement.objects.filter(clearing_report=report).first(), "dip": report_dip(report)}


# --- reopening a month (fund_budget.reopening) -------------------------------------------------------------


def month_text(run: MonthlyRun) -> str:
    return f"{run.month:%Y-%m}"


def reopening_refusal(run: MonthlyRun, *, lock_payments: bool = False) -> str | None:
    """Why the run cannot be reopened now (a message for the user), or None when it can: it must be current,
    the latest current run, every payment of its statements pending (lock_payments: locked until the
    transaction ends) and the year's clearing not approved."""
    month = month_text(run)
    if not MonthlyRun.objects.current().filter(pk=run.pk).exists():
        return _("%(month)s 的这次结算已被重开作废，不能再重开。") % {"month": month}
    later = MonthlyRun.objects.current().filter(month__gt=run.month).order_by("month").first()
    if later is not None:
        return _("已结算更晚的月份 %(later)s，%(month)s 不能重开。") % {"later": month_text(later), "month": month}
    payments = Disbursement.objects.filter(statement__run=run).select_related("statement__institution")
    if lock_payments:
        payments = payments.select_for_update(of=("self",))
    settled = [d for d in payments.order_by("statement__institution__fixmedins_code")
               if d.status != DisbursementStatus.PENDING]
    if settled:
        names = "; ".join(f"{d.statement.institution.fixmedins_code} {d.statement.institution.name} "
                          f"({d.get_status_display()})" for d in settled)
        return _("%(month)s 已有结算单拨付或抵扣，不能重开：%(statements)s。") % {"month": month, "statements": names}
    if ClearingReport.objects.filter(year=run.month.year, status=ClearingStatus.APPROVED).exists():
        return _("%(year)s 年的年终清算已审批，%(month)s 不能重开。") % {"year": run.month.year, "month": month}
    return None


def open_request(run: MonthlyRun) -> MonthReopeningRequest | None:
    """The run's request not approved yet, if any (the services allow one at a time)."""
    return run.reopening_requests.filter(approval__isnull=True).select_related("requested_by").first()


def open_reopening_requests() -> QuerySet:
    """Every request awaiting approval, oldest first, with its run and requester."""
    return (MonthReopeningRequest.objects.filter(approval__isnull=True).select_related("run", "requested_by")
            .order_by("requested_at"))


def superseding(st: MonthlyStatement) -> SupersededStatement | None:
    """The row that superseded the statement (with its approval and request), or None for a current one."""
    return (SupersededStatement.objects.filter(statement=st)
            .select_related("approval__approved_by", "approval__request__requested_by").first())


def statement_reopening(st: MonthlyStatement, user) -> dict:
    """What a statement's page shows of reopening: for a superseded statement the approval (with its request)
    and the statement that replaced it; for a current one the statements it replaced, the open request, and
    whether the user may request (with the reason it cannot be reopened) or approve."""
    superseded = superseding(st)
    same = statements_for(user, superseded=True).filter(institution_id=st.institution_id, month=st.month)
    if superseded is not None:
        approval = superseded.approval
        return {"superseded": superseded, "approval": approval, "reopening_request": approval.request,
                "replacement": same.filter(superseded__isnull=True).first()}
    context = {"replaced": list(same.filter(superseded__isnull=False).order_by("run__sequence")),
               "open_request": open_request(st.run)}
    if can_request_reopening.test(user) and context["open_request"] is None:
        context["may_request"] = True
        context["refusal"] = reopening_refusal(st.run)
    if context["open_request"] is not None:
        context["may_approve"] = can_approve_reopening.test(user, context["open_request"])
    return context
