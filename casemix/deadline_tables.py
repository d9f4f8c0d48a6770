"""The list-deadline queue's table (django-tables2; casemix.deadline_views): each inpatient settlement whose
settlement list is missing, its institution, due date and days overdue."""
from __future__ import annotations

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.display import NUM, MoneyColumn

ATTRS = {"class": "table"}


def status_text(days_overdue: int) -> str:
    if days_overdue > 0:
        return ngettext("%(n)d day overdue", "%(n)d days overdue", days_overdue) % {"n": days_overdue}
    if days_overdue == 0:
        return str(_("今日到期"))
    return ngettext("%(n)d day left", "%(n)d days left", -days_overdue) % {"n": -days_overdue}


class MissingListTable(tables.Table):
    setl_id = tables.Column(verbose_name=_("结算ID"))
    code = tables.Column(verbose_name=_("机构编码"), accessor="institution__fixmedins_code")
    institution = tables.Column(verbose_name=_("机构名称"), accessor="institution__name")
    psn_no = tables.Column(verbose_name=_("人员编号"), accessor="person__psn_no")
    setl_time = tables.DateTimeColumn(verbose_name=_("结算时间"), format="Y-m-d H:i")
    medfee_sumamt = MoneyColumn(verbose_name=_("医疗费总额"))
    deadline_days = tables.Column(verbose_name=_("上传时限(天)"), attrs={"td": NUM["td"], "th": NUM["th"]})
    due_date = tables.DateColumn(verbose_name=_("应上传日期"), format="Y-m-d")
    days_overdue = tables.Column(verbose_name=_("状态"), attrs={"td": NUM["td"], "th": NUM["th"]})

    class Meta:
        fields = ()
        sequence = ("due_date", "days_overdue", "setl_id", "code", "institution", "psn_no", "setl_time",
                    "medfee_sumamt", "deadline_days")
        attrs = ATTRS
        empty_text = _("没有缺少结算清单的住院结算。")
        row_attrs = {"class": lambda record: "overdue" if record.days_overdue > 0 else ""}

    def render_days_overdue(self, value):
        text = status_text(value)
        return format_html("<strong>{}</strong>", text) if value > 0 else text
