"""Admin for every fund-budget model. Parameters, budgets, indices, standards and contracts are edited
here; statements, disbursements, deductions, negotiation history and approved clearing reports are money
already issued and are read-only (changed only by the services)."""
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from insurance.admin import ReadOnlyAdminMixin, ReadOnlyModelAdmin, ReadOnlyTabularInline

from . import budget as budget_service
from .clearing import approve_clearing, recompute_clearing
from .common import FundError
from .export import XLSX_TYPE, clearing_workbook, export_filename
from .models import (
    AuditDeduction,
    CapitationContract,
    CapitationPenalty,
    CapitationReconciliation,
    ChronicCapitationReconciliation,
    ClearingLine,
    ClearingReport,
    ClearingStatus,
    Disbursement,
    DistrictBudget,
    FundBudget,
    FundThreshold,
    FundYearParameters,
    IndexNegotiation,
    IndexStatus,
    InstitutionIndex,
    MonthlyRun,
    MonthlyStatement,
    MonthReopeningApproval,
    MonthReopeningRequest,
    NegotiationStep,
    PaymentStandard,
    StatementLine,
    StatementMethodLine,
    SupersededStatement,
)
from .monthly import pay_disbursements

INSTITUTION_SEARCH = ["institution__fixmedins_code", "institution__name"]


class FundThresholdInline(admin.TabularInline):
    model = FundThreshold
    extra = 0


@admin.register(FundYearParameters)
class FundYearParametersAdmin(admin.ModelAdmin):
    list_display = ["year", "region", "withholding_rate", "statement_day", "payment_day", "retain_ceiling",
                    "overspend_tolerance", "up_factor", "down_factor", "warning_excess"]
    list_filter = ["year"]
    search_fields = ["region"]
    inlines = [FundThresholdInline]
    fieldsets = [
        (None, {"fields": ["year", "region", "withholding_rate", "statement_day", "payment_day", "note"]}),
        (_("结余留用"), {"fields": ["retain_share_a", "retain_share_aa", "retain_share_aaa", "retain_ceiling",
                                 "up_factor"]}),
        (_("超支分担"), {"fields": ["overspend_share_a", "overspend_share_aa", "overspend_share_aaa",
                                 "overspend_tolerance", "down_factor"]}),
        (_("指标与监测"), {"fields": ["index_growth_rate", "warning_excess"]}),
    ]


@admin.register(FundThreshold)
class FundThresholdAdmin(admin.ModelAdmin):
    list_display = ["parameters", "fund", "item_by_item_threshold"]
    list_filter = ["fund", "parameters__year"]
    search_fields = ["parameters__region"]


class DistrictBudgetInline(admin.TabularInline):
    model = DistrictBudget
    extra = 0


@admin.register(FundBudget)
class FundBudgetAdmin(admin.ModelAdmin):
    list_display = ["year", "region", "fund", "amount", "allocated_to_districts", "unallocated"]
    list_filter = ["year", "fund"]
    search_fields = ["region"]
    inlines = [DistrictBudgetInline]

    @admin.display(description=_("已分配区县"))
    def allocated_to_districts(self, obj):
        return budget_service.budget_allocation(obj)["districts"]

    @admin.display(description=_("未分配"))
    def unallocated(self, obj):
        return budget_service.budget_allocation(obj)["unallocated"]


@admin.register(DistrictBudget)
class DistrictBudgetAdmin(admin.ModelAdmin):
    list_display = ["budget", "district", "name", "amount"]
    list_filter = ["budget__year", "budget__fund"]
    search_fields = ["district", "name"]


@admin.register(InstitutionIndex)
class InstitutionIndexAdmin(admin.ModelAdmin):
    list_display = ["year", "institution", "fund", "payment_mode", "mode_source", "last_year_actual",
                    "agreed_amount", "rating", "assessment_score", "status"]
    list_filter = ["year", "fund", "payment_mode", "status", "rating"]
    search_fields = INSTITUTION_SEARCH
    raw_id_fields = ["institution", "district"]
    list_select_related = ["institution"]
    actions = ["open_negotiations"]

    def get_readonly_fields(self, request, obj=None):
        fixed = ["last_year_actual", "agreed_at"]
        if obj is not None and obj.status != IndexStatus.DRAFT:
            # the amount is set by the negotiation; year, institution and fund no longer change
            fixed += ["year", "institution", "fund", "agreed_amount", "status", "payment_mode", "mode_source"]
        return fixed

    @admin.action(description=_("发起两上两下指标协商"))
    def open_negotiations(self, request, queryset):
        opened = 0
        for index in queryset.filter(status=IndexStatus.DRAFT):
            try:
                budget_service.open_negotiation(index, request.user)
                opened += 1
            except FundError as exc:
                self.message_user(request, f"{index}: {exc}", messages.WARNING)
            except PermissionDenied as exc:
                self.message_user(request, str(exc), messages.ERROR)
                break
        self.message_user(request, _("已发起 %(n)d 项协商。") % {"n": opened})


class NegotiationStepInline(ReadOnlyTabularInline):
    model = NegotiationStep
    fields = ["seq", "action", "from_state", "to_state", "amount", "actor", "acted_at", "note"]
    show_change_link = False


@admin.register(IndexNegotiation)
class IndexNegotiationAdmin(ReadOnlyModelAdmin):
    list_display = ["index", "state", "proposed_amount", "draft_amount", "answer_amount", "agreed_amount",
                    "updated_at"]
    list_filter = ["state", "index__year", "index__fund"]
    search_fields = ["index__institution__fixmedins_code", "index__institution__name"]
    inlines = [NegotiationStepInline]


@admin.register(NegotiationStep)
class NegotiationStepAdmin(ReadOnlyModelAdmin):
    list_display = ["negotiation", "seq", "action", "from_state", "to_state", "amount", "actor", "acted_at"]
    list_filter = ["action"]
    search_fields = ["negotiation__index__institution__fixmedins_code"]


@admin.register(AuditDeduction)
class AuditDeductionAdmin(ReadOnlyModelAdmin):
    list_display = ["institution", "fund", "amount", "source_type", "source_id", "confirmed_at", "reversed_at"]
    list_filter = ["fund", "source_type"]
    search_fields = [*INSTITUTION_SEARCH, "source_id", "reason"]
    date_hierarchy = "confirmed_at"
    list_select_related = ["institution"]


@admin.register(PaymentStandard)
class PaymentStandardAdmin(admin.ModelAdmin):
    list_display = ["year", "region", "method", "med_type", "disease_code", "name", "institution", "level",
                    "standard"]
    list_filter = ["year", "method", "med_type", "level"]
    search_fields = ["disease_code", "name", *INSTITUTION_SEARCH]
    raw_id_fields = ["institution"]


class CapitationPenaltyInline(ReadOnlyTabularInline):
    model = CapitationPenalty
    fields = ["date", "amount", "cases", "reason", "recorded_by"]
    show_change_link = False


@admin.register(CapitationContract)
class CapitationContractAdmin(admin.ModelAdmin):
    list_display = ["year", "institution", "heads", "monthly_rate", "covered_med_type"]
    list_filter = ["year"]
    search_fields = INSTITUTION_SEARCH
    raw_id_fields = ["institution"]
    inlines = [CapitationPenaltyInline]


@admin.register(CapitationPenalty)
class CapitationPenaltyAdmin(admin.ModelAdmin):
    """Penalties are added here; once recorded they are money and stay as they are."""

    list_display = ["contract", "date", "amount", "cases", "reason", "recorded_by"]
    list_filter = ["contract__year"]
    search_fields = ["contract__institution__fixmedins_code", "reason"]
    raw_id_fields = ["contract"]
    exclude = ["recorded_by"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(CapitationReconciliation)
class CapitationReconciliationAdmin(ReadOnlyModelAdmin):
    list_display = ["contract", "months", "monthly_total", "penalty_total", "net", "computed_at"]
    list_filter = ["contract__year"]
    search_fields = ["contract__institution__fixmedins_code"]


@admin.register(ChronicCapitationReconciliation)
class ChronicCapitationReconciliationAdmin(ReadOnlyModelAdmin):
    list_display = ["year", "institution", "months", "monthly_total", "net", "computed_at"]
    list_filter = ["year"]
    search_fields = ["institution__fixmedins_code"]


@admin.register(MonthlyRun)
class MonthlyRunAdmin(ReadOnlyModelAdmin):
    list_display = ["month", "sequence", "cutoff", "statement_count", "fund_total", "payable_total", "created_at",
                    "created_by"]


class StatementLineInline(ReadOnlyTabularInline):
    model = StatementLine
    fields = ["fund", "amount", "withheld", "deductions"]
    show_change_link = False


class StatementMethodLineInline(ReadOnlyTabularInline):
    model = StatementMethodLine
    fields = ["method", "visits", "ffs_fund_amount", "claim_amount", "gain_loss"]
    show_change_link = False


@admin.register(MonthlyStatement)
class MonthlyStatementAdmin(ReadOnlyModelAdmin):
    list_display = ["month", "institution", "visit_count", "reversal_count", "fund_amount", "withheld", "deductions",
                    "capitation_amount", "net_payable", "payment_due", "is_current"]
    list_filter = ["month"]
    search_fields = INSTITUTION_SEARCH
    list_select_related = ["institution", "superseded"]
    inlines = [StatementLineInline, StatementMethodLineInline]

    @admin.display(boolean=True, description=_("当前有效"))
    def is_current(self, obj) -> bool:
        """False for a statement a month's reopening superseded (it stays, as history)."""
        return not hasattr(obj, "superseded")


@admin.register(MonthReopeningRequest)
class MonthReopeningRequestAdmin(ReadOnlyModelAdmin):
    """Made and approved on the statement pages (fund_budget.reopening, four eyes), never here."""

    list_display = ["run", "requested_by", "requested_at", "reason"]
    list_select_related = ["run", "requested_by"]


@admin.register(MonthReopeningApproval)
class MonthReopeningApprovalAdmin(ReadOnlyModelAdmin):
    list_display = ["request", "approved_by", "approved_at"]
    list_select_related = ["request__run", "approved_by"]


@admin.register(SupersededStatement)
class SupersededStatementAdmin(ReadOnlyModelAdmin):
    list_display = ["statement", "approval"]
    list_select_related = ["statement", "approval__request__run"]


@admin.register(StatementLine)
class StatementLineAdmin(ReadOnlyModelAdmin):
    list_display = ["statement", "fund", "amount", "withheld", "deductions"]
    list_filter = ["fund", "statement__month"]
    search_fields = ["statement__institution__fixmedins_code"]


@admin.register(StatementMethodLine)
class StatementMethodLineAdmin(ReadOnlyModelAdmin):
    list_display = ["statement", "method", "visits", "ffs_fund_amount", "claim_amount", "gain_loss"]
    list_filter = ["method", "statement__month"]
    search_fields = ["statement__institution__fixmedins_code"]


@admin.register(Disbursement)
class DisbursementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["institution", "kind", "amount", "due_date", "status", "paid_at", "paid_by"]
    list_filter = ["kind", "status", "due_date"]
    search_fields = INSTITUTION_SEARCH
    list_select_related = ["institution", "paid_by"]
    actions = ["mark_paid"]

    def has_pay_permission(self, request):
        return request.user.has_perm("fund_budget.change_disbursement")

    @admin.action(description=_("标记为已拨付"), permissions=["pay"])
    def mark_paid(self, request, queryset):
        paid = pay_disbursements(queryset, user=request.user)
        self.message_user(request, _("已标记 %(n)d 笔为已拨付。") % {"n": paid})


class ClearingLineInline(ReadOnlyTabularInline):
    model = ClearingLine
    fields = ["seq", "label", "formula", "amount"]
    show_change_link = False


@admin.register(ClearingReport)
class ClearingReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["year", "institution", "fund", "side", "rating", "index_amount", "actual", "retained", "shared",
                    "returned", "final", "next_base", "status"]
    list_filter = ["year", "status", "side", "rating", "fund"]
    search_fields = INSTITUTION_SEARCH
    list_select_related = ["institution"]
    inlines = [ClearingLineInline]
    actions = ["export_xlsx", "recompute", "approve"]

    def has_approve_permission(self, request):
        return request.user.has_perm("fund_budget.approve_clearingreport")

    @admin.action(description=_("导出所选清算报告(XLSX)"), permissions=["view"])
    def export_xlsx(self, request, queryset):
        reports = list(queryset.select_related("institution"))
        response = HttpResponse(clearing_workbook(reports), content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{export_filename(reports)}"'
        return response

    @admin.action(description=_("重新计算(仅草稿)"), permissions=["approve"])
    def recompute(self, request, queryset):
        done = 0
        for report in queryset.filter(status=ClearingStatus.DRAFT):
            recompute_clearing(report, user=request.user)
            done += 1
        self.message_user(request, _("已重新计算 %(n)d 份草稿。") % {"n": done})

    @admin.action(description=_("审批所选清算报告"), permissions=["approve"])
    def approve(self, request, queryset):
        done = 0
        for report in queryset.filter(status=ClearingStatus.DRAFT):
            try:
                approve_clearing(report, user=request.user)
                done += 1
            except FundError as exc:
                self.message_user(request, f"{report}: {exc}", messages.WARNING)
        self.message_user(request, _("已审批 %(n)d 份清算报告。") % {"n": done})


@admin.register(ClearingLine)
class ClearingLineAdmin(ReadOnlyModelAdmin):
    list_display = ["report", "seq", "key", "label", "formula", "amount"]
    search_fields = ["report__institution__fixmedins_code", "key"]
