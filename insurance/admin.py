from django.contrib import admin

from insurance.models import (
    AccountMovement,
    EmployerWage,
    Enrollment,
    Institution,
    InstitutionUser,
    Person,
    PersonalAccount,
)


class ReadOnlyAdminMixin:
    """Money and derived records: viewable in the admin, changed only by the services that own them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyModelAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    actions = None


class ReadOnlyTabularInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return self.fields or [f.name for f in self.model._meta.fields]


class EnrollmentInline(admin.TabularInline):
    model = Enrollment
    extra = 0
    fields = ["insutype", "psn_type", "enrolled_from", "enrolled_to", "paid_through", "assistance_category"]


class EmployerWageInline(admin.TabularInline):
    model = EmployerWage
    extra = 0
    fields = ["emp_name", "avg_monthly_wage", "effective_from", "effective_to"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["psn_no", "name", "gender", "birth_date", "certno"]
    search_fields = ["psn_no", "certno", "name"]
    list_filter = ["gender"]
    inlines = [EnrollmentInline, EmployerWageInline]


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = [
        "person", "insutype", "psn_type", "enrolled_from", "enrolled_to", "paid_through", "assistance_category",
    ]
    list_filter = ["insutype", "psn_type", "assistance_category"]
    search_fields = ["person__psn_no", "person__certno", "person__name"]
    date_hierarchy = "enrolled_from"
    autocomplete_fields = ["person"]
    list_select_related = ["person"]


class AccountMovementInline(ReadOnlyTabularInline):
    model = AccountMovement
    fields = ["created_at", "kind", "amount", "balance_after", "settlement", "created_by", "reason"]
    ordering = ["-created_at", "-pk"]


@admin.register(PersonalAccount)
class PersonalAccountAdmin(ReadOnlyModelAdmin):
    list_display = ["person", "balance", "updated_at"]
    search_fields = ["person__psn_no", "person__certno", "person__name"]
    list_select_related = ["person"]
    inlines = [AccountMovementInline]


@admin.register(AccountMovement)
class AccountMovementAdmin(ReadOnlyModelAdmin):
    list_display = ["account", "kind", "amount", "balance_after", "settlement", "created_at", "created_by"]
    list_filter = ["kind"]
    search_fields = ["account__person__psn_no", "account__person__certno", "account__person__name"]
    date_hierarchy = "created_at"
    list_select_related = ["account__person", "settlement", "created_by"]


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["fixmedins_code", "name", "level", "kind", "designated", "region"]
    list_filter = ["level", "kind", "designated", "region"]
    search_fields = ["fixmedins_code", "name"]


@admin.register(InstitutionUser)
class InstitutionUserAdmin(admin.ModelAdmin):
    list_display = ["user", "institution", "created_at"]
    list_filter = ["institution__kind"]
    search_fields = ["user__username", "institution__fixmedins_code", "institution__name"]
    autocomplete_fields = ["user", "institution"]
    readonly_fields = ["created_at"]
    list_select_related = ["user", "institution"]
