from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.utils.translation import gettext_lazy as _

from claims.models import (
    Accumulator,
    DailyJob,
    FeeLine,
    InstitutionAuditStats,
    InstitutionDailySummary,
    QuarantinedVisit,
    Settlement,
    SettlementAccumulation,
    SettlementLine,
    Upload,
    Visit,
    VisitStatus,
)
from claims.roles import role_label
from insurance.admin import ReadOnlyModelAdmin, ReadOnlyTabularInline

PERSON_SEARCH = ["person__psn_no", "person__certno", "person__name"]
LINE_CLASSIFICATION = [
    "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", "chrgitm_lv", "selfpay_prop", "reason",
]


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = ["id", "institution", "source", "line_count", "created_at", "created_by"]
    list_filter = ["source"]
    search_fields = ["institution__fixmedins_code", "institution__name"]
    date_hierarchy = "created_at"
    raw_id_fields = ["institution"]
    readonly_fields = ["created_at", "created_by"]
    list_select_related = ["institution", "created_by"]


class FeeLineInline(ReadOnlyTabularInline):
    model = FeeLine
    fields = [
        "feedetl_sn", "med_list_codg", "cnt", "pric", "det_item_fee_sumamt", "status", *LINE_CLASSIFICATION,
    ]


class SettlementInline(ReadOnlyTabularInline):
    model = Settlement
    fk_name = "visit"
    fields = ["setl_id", "kind", "status", "setl_time", "medfee_sumamt", "fund_pay_sumamt", "psn_cash_pay"]


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ["mdtrt_id", "person", "institution", "med_type", "begntime", "endtime", "status"]
    list_filter = ["status", "med_type", "institution__level"]
    search_fields = ["mdtrt_id", *PERSON_SEARCH, "institution__fixmedins_code", "institution__name"]
    date_hierarchy = "begntime"
    raw_id_fields = ["person", "institution", "enrollment"]
    list_select_related = ["person", "institution"]
    inlines = [FeeLineInline, SettlementInline]

    def get_readonly_fields(self, request, obj=None):
        """The institution is fixed at registration (a trigger holds it so on every path)."""
        return ["institution", "status"] if obj is not None else ["status"]

    def has_change_permission(self, request, obj=None):
        """A settled visit changes only through the services (by reversal): shown read-only."""
        if obj is not None and obj.status == VisitStatus.SETTLED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # visits are never deleted: their lines and settlements hold them


@admin.register(FeeLine)
class FeeLineAdmin(admin.ModelAdmin):
    """A settled visit's lines are view-only (changed by the services only, by reversal; a trigger holds it so);
    lines are never deleted."""

    list_display = ["visit", "feedetl_sn", "med_list_codg", "cnt", "pric", "det_item_fee_sumamt", "status", "reason"]
    list_filter = ["status", "chrgitm_lv", "reason"]
    search_fields = ["visit__mdtrt_id", "med_list_codg", "feedetl_sn"]
    raw_id_fields = ["visit", "upload"]
    readonly_fields = LINE_CLASSIFICATION
    list_select_related = ["visit"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.visit.status == VisitStatus.SETTLED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


class SettlementLineInline(ReadOnlyTabularInline):
    model = SettlementLine
    fields = ["feedetl_sn", "det_item_fee_sumamt", *LINE_CLASSIFICATION]


class SettlementAccumulationInline(ReadOnlyTabularInline):
    model = SettlementAccumulation
    fields = ["year", "kind", "key", "delta"]
    show_change_link = False


@admin.register(Settlement)
class SettlementAdmin(ReadOnlyModelAdmin):
    list_display = [
        "setl_id", "kind", "status", "visit", "person", "institution", "setl_time", "medfee_sumamt",
        "fund_pay_sumamt", "acct_pay", "psn_cash_pay", "ineligible_reason",
    ]
    list_filter = ["kind", "status", "ineligible_reason", "policy_version"]
    search_fields = ["setl_id", "visit__mdtrt_id", *PERSON_SEARCH, "institution__fixmedins_code"]
    date_hierarchy = "setl_time"
    list_select_related = ["visit", "person", "institution"]
    inlines = [SettlementLineInline, SettlementAccumulationInline]


@admin.register(SettlementLine)
class SettlementLineAdmin(ReadOnlyModelAdmin):
    list_display = ["settlement", "feedetl_sn", "det_item_fee_sumamt", "inscp_scp_amt", "chrgitm_lv", "reason"]
    list_filter = ["chrgitm_lv", "reason"]
    search_fields = ["settlement__setl_id", "settlement__visit__mdtrt_id", "feedetl_sn", "fee_line__med_list_codg"]
    list_select_related = ["settlement"]


@admin.register(Accumulator)
class AccumulatorAdmin(ReadOnlyModelAdmin):
    list_display = ["person", "year", "kind", "key", "amount"]
    list_filter = ["year", "kind"]
    search_fields = [*PERSON_SEARCH, "key"]
    list_select_related = ["person"]


@admin.register(SettlementAccumulation)
class SettlementAccumulationAdmin(ReadOnlyModelAdmin):
    list_display = ["settlement", "year", "kind", "key", "delta"]
    list_filter = ["year", "kind"]
    search_fields = ["settlement__setl_id", "settlement__visit__mdtrt_id", "settlement__person__psn_no"]
    list_select_related = ["settlement"]


class InstitutionDailySummaryInline(ReadOnlyTabularInline):
    model = InstitutionDailySummary
    fields = ["institution", "lines", "medfee_sumamt", "fund_pay_sumamt", "settled", "held", "rejected"]


@admin.register(DailyJob)
class DailyJobAdmin(ReadOnlyModelAdmin):
    list_display = [
        "run_date", "status", "started_at", "finished_at", "chunks_done", "chunks_total", "lines_classified",
        "visits_settled", "visits_held", "visits_quarantined",
    ]
    list_filter = ["status"]
    date_hierarchy = "run_date"
    exclude = ["audit_stats"]  # thousands of figures, kept for the job's chunks, not for reading
    inlines = [InstitutionDailySummaryInline]


@admin.register(InstitutionDailySummary)
class InstitutionDailySummaryAdmin(ReadOnlyModelAdmin):
    list_display = ["job", "institution", "lines", "medfee_sumamt", "fund_pay_sumamt", "settled", "held", "rejected"]
    list_filter = ["job__run_date"]
    search_fields = ["institution__fixmedins_code", "institution__name"]
    list_select_related = ["job", "institution"]


@admin.register(InstitutionAuditStats)
class InstitutionAuditStatsAdmin(ReadOnlyModelAdmin):
    list_display = ["day", "institution", "by_med_type", "computed_at"]
    date_hierarchy = "day"
    search_fields = ["institution__fixmedins_code", "institution__name"]
    list_select_related = ["institution"]


@admin.register(QuarantinedVisit)
class QuarantinedVisitAdmin(ReadOnlyModelAdmin):
    """The visits the night set aside (claims.batch.quarantine), for the caseworker: what, why, and whether a later
    night has taken it."""

    list_display = ["visit", "job", "chunk_no", "reason", "field", "detail", "created_at", "resolved_at"]
    list_filter = ["reason", ("resolved_at", admin.EmptyFieldListFilter), "job__run_date"]
    search_fields = ["visit__mdtrt_id", "visit__person__psn_no", "visit__institution__fixmedins_code"]
    list_select_related = ["visit", "job"]
    date_hierarchy = "created_at"


# --- roles in words (claims.roles.ROLE_LABELS) on Django's group and user lists ----------------------------

admin.site.unregister(Group)
admin.site.unregister(User)


@admin.register(Group)
class RoleGroupAdmin(GroupAdmin):
    list_display = ["label", "name"]

    @admin.display(description=_("Role"), ordering="name")
    def label(self, obj):
        return role_label(obj.name)


@admin.register(User)
class RoleUserAdmin(UserAdmin):
    list_display = ["username", "first_name", "roles", "is_active", "is_staff", "last_login"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("Roles"))
    def roles(self, obj):
        return "、".join(role_label(g.name) for g in obj.groups.all()) or "—"

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups":
            field.label_from_instance = lambda group: f"{role_label(group.name)} ({group.name})"
        return field
