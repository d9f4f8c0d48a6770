"""Read-only admin pages of the smart-audit review (the review itself happens through review.services)."""
from django.contrib import admin

from insurance.admin import ReadOnlyModelAdmin, ReadOnlyTabularInline
from review.models import Appeal, AuditHit, ReviewEvent, SuspectItem


class AuditHitInline(ReadOnlyTabularInline):
    model = AuditHit
    fk_name = "item"
    fields = ["rule_code", "severity", "feedetl_sns", "amount", "evidence", "related_mdtrt_id", "created_at"]


class ReviewEventInline(ReadOnlyTabularInline):
    model = ReviewEvent
    fields = ["at", "actor", "action", "from_state", "to_state", "amount", "reason"]


@admin.register(AuditHit)
class AuditHitAdmin(ReadOnlyModelAdmin):
    list_display = ["created_at", "rule_code", "severity", "stage", "visit", "institution", "amount"]
    list_filter = ["stage", "severity", "rule_type"]
    search_fields = ["rule_code", "visit__mdtrt_id", "institution__fixmedins_code", "evidence"]
    date_hierarchy = "created_at"
    list_select_related = ["visit", "institution"]


@admin.register(SuspectItem)
class SuspectItemAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "created_at", "rule", "visit", "institution", "amount_at_stake", "state",
                    "confirmed_amount", "confirmed_by"]
    list_filter = ["state", "rule__rule_type", "rule"]
    search_fields = ["visit__mdtrt_id", "settlement__setl_id", "institution__fixmedins_code", "institution__name"]
    date_hierarchy = "created_at"
    list_select_related = ["rule", "visit", "institution", "confirmed_by"]
    inlines = [AuditHitInline, ReviewEventInline]


@admin.register(Appeal)
class AppealAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "item", "institution", "state", "filed_at", "filed_by", "decided_at", "decided_by"]
    list_filter = ["state"]
    search_fields = ["item__visit__mdtrt_id", "institution__fixmedins_code"]
    list_select_related = ["item", "institution", "filed_by", "decided_by"]


@admin.register(ReviewEvent)
class ReviewEventAdmin(ReadOnlyModelAdmin):
    list_display = ["at", "item", "visit", "action", "from_state", "to_state", "amount", "actor"]
    list_filter = ["action"]
    search_fields = ["visit__mdtrt_id", "reason"]
    date_hierarchy = "at"
    list_select_related = ["item", "visit", "actor"]
