"""The review queue as an XLSX file (openpyxl, with core.spreadsheet's safe cells and house style): one row per
suspect item, states by their labels, money as numbers with two decimals, times in local time."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from core.spreadsheet import finish_sheet, safe_row, workbook_bytes

CENT = Decimal("0.01")
MONEY_COLUMNS = (10, 13)  # amount at stake, confirmed deduction (1-based)


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT, rounding=ROUND_HALF_UP)


def queue_workbook(items) -> bytes:
    """`items`: the queue's queryset (its visit, person, institution and rule selected), in its order."""
    now = timezone.now()
    book = Workbook()
    sheet = book.active
    sheet.title = _("Review queue")
    sheet.append([_("No."), _("Institution code"), _("Institution"), _("Rule"), _("Rule name"),
                  _("Person number"), _("Insured person"), _("Visit"), _("Medical type"), _("Amount at stake"),
                  _("State"), _("Opened"), _("Confirmed deduction"), _("Age (days)")])
    for item in items.iterator(chunk_size=2000):
        visit, person = item.visit, item.visit.person
        sheet.append(safe_row([
            item.pk, item.institution.fixmedins_code, item.institution.name, item.rule.code, item.rule.name,
            person.psn_no, person.name, visit.mdtrt_id, str(visit.med_type_label),
            _money(item.amount_at_stake), str(item.get_state_display()),
            timezone.localtime(item.created_at).replace(tzinfo=None), _money(item.confirmed_amount),
            (now - item.created_at).days,
        ]))
    finish_sheet(sheet, money_columns=MONEY_COLUMNS)
    for cell in sheet["L"][1:]:
        cell.number_format = "yyyy-mm-dd hh:mm"
    return workbook_bytes(book)
