import django_filters
from django.utils.translation import gettext_lazy as _

from claims.models import FeeLine, FeeLineStatus, Settlement, SettlementKind, Visit, VisitStatus


class VisitFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=VisitStatus.choices, label=_("状态"))
    psn_no = django_filters.CharFilter(field_name="person__psn_no", label=_("人员编号"))
    med_type = django_filters.CharFilter(label=_("医疗类别"))
    begndate_from = django_filters.DateFilter(field_name="begntime__date", lookup_expr="gte",
                                              label=_("开始日期不早于 (YYYY-MM-DD)"))
    begndate_to = django_filters.DateFilter(field_name="begntime__date", lookup_expr="lte",
                                            label=_("开始日期不晚于 (YYYY-MM-DD)"))

    class Meta:
        model = Visit
        fields = ["status", "psn_no", "med_type", "begndate_from", "begndate_to"]


class FeeLineFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=FeeLineStatus.choices, label=_("状态"))

    class Meta:
        model = FeeLine
        fields = ["status"]


class SettlementFilter(django_filters.FilterSet):
    mdtrt_id = django_filters.CharFilter(field_name="visit__mdtrt_id", label=_("就诊ID"))
    kind = django_filters.ChoiceFilter(choices=SettlementKind.choices, label=_("类型"))
    setl_date_from = django_filters.DateFilter(field_name="setl_time__date", lookup_expr="gte",
                                               label=_("结算日期不早于 (YYYY-MM-DD)"))
    setl_date_to = django_filters.DateFilter(field_name="setl_time__date", lookup_expr="lte",
                                             label=_("结算日期不晚于 (YYYY-MM-DD)"))

    class Meta:
        model = Settlement
        fields = ["mdtrt_id", "kind", "setl_date_from", "setl_date_to"]
