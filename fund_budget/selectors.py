"""The queries behind the statement and clearing pages, exports and PDFs: rows scoped to the user (the bureau
sees every institution, an institution login its own; fund_budget.permissions), and a statement's arithmetic
as lines in words, the same lines on the page, in the workbook and on paper."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .models import ClearingReport, Disbursement, MonthlyStatement
from .permissions import institution_of, is_fund_bureau


def _scoped(qs: QuerySet, user) -> QuerySet:
    if is_fund_bureau.test(user):
        return qs
    institution_id = institution_of(user)
    if institution_id is None:
        return qs.none()
    return qs.filter(institution_id=institution_id)


def statements_for(user) -> QuerySet:
    """The monthly statements the user may read, newest month first."""
    return _scoped(MonthlyStatement.objects.select_related("institution", "run"), user).order_by(
        "-month", "institution__fixmedins_code")


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
            "disbursement": Disbursement.objects.filter(clearing_report=report).first()}
