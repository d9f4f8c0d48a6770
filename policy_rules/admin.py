import io
import json
import zipfile

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from policy_rules.audit_library import set_rules_enabled
from policy_rules.catalog_import import import_catalog
from policy_rules.forms import CatalogUploadForm, PolicyPackUploadForm
from policy_rules.models import (
    AuditRuleDefinition,
    CatalogItem,
    PolicyStatus,
    PolicyVersion,
    audit_rule_types,
)
from policy_rules.services import (
    PolicyPackError,
    activate_policy_version,
    dump_policy_document,
    export_policy_pack,
    import_policy_pack,
    load_policy_document,
    retire_policy_version,
)


class ImportViewMixin:
    """Adds an upload page at <changelist>/import/ and a button for it on the changelist."""

    change_list_template = "admin/policy_rules/change_list_with_import.html"
    import_label = ""
    import_form_class = None
    error_headings: tuple = ()

    def run_import(self, request, form):
        """Return (success message, None) or (None, (summary, rows of error cells))."""
        raise NotImplementedError

    def _import_url_name(self):
        return f"{self.opts.app_label}_{self.opts.model_name}_import"

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name=self._import_url_name()), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if self._may_import(request):
            extra_context["import_url"] = reverse(f"admin:{self._import_url_name()}")
            extra_context["import_label"] = self.import_label
        return super().changelist_view(request, extra_context=extra_context)

    def _may_import(self, request):
        return request.user.has_perm(f"{self.opts.app_label}.add_{self.opts.model_name}")

    def import_view(self, request):
        if not self._may_import(request):
            raise PermissionDenied
        form = self.import_form_class(request.POST or None, request.FILES or None)
        import_errors, error_summary = [], ""
        if request.method == "POST" and form.is_valid():
            success, failure = self.run_import(request, form)
            if success:
                self.message_user(request, success, messages.SUCCESS)
                return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))
            error_summary, import_errors = failure
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": self.import_label,
            "form": form,
            "import_errors": import_errors,
            "error_summary": error_summary,
            "error_headings": self.error_headings,
            "submit_label": _("导入"),
        }
        return TemplateResponse(request, "admin/policy_rules/upload_form.html", context)


@admin.register(CatalogItem)
class CatalogItemAdmin(ImportViewMixin, admin.ModelAdmin):
    list_display = [
        "med_list_codg", "name", "list_type", "chrg_lv", "selfpay_prop", "price_limit", "effective_from", "effective_to",
    ]
    list_filter = ["list_type", "chrg_lv", "restrict_gender", "restrict_min_level"]
    search_fields = ["med_list_codg", "name"]
    date_hierarchy = "effective_from"
    import_label = _("导入目录")
    import_form_class = CatalogUploadForm
    error_headings = (_("行号"), _("列"), _("错误"))

    def run_import(self, request, form):
        upload = form.cleaned_data["file"]
        report = import_catalog(upload, effective_from=form.cleaned_data["effective_from"])
        if report.ok:
            return _("已导入%(created)d条目录项目，关闭旧版本%(closed)d条。") % {
                "created": report.created, "closed": report.closed,
            }, None
        rows = [("" if e.row is None else e.row, e.column, e.message) for e in report.errors]
        return None, (_("目录未导入：共%(n)d处错误，请修改后重新上传。") % {"n": len(rows)}, rows)


def _download(filename: str, content: bytes, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _pack_download(version: PolicyVersion) -> HttpResponse:
    text = dump_policy_document(export_policy_pack(version))
    return _download(f"{version.code}.json", text.encode("utf-8"), "application/json; charset=utf-8")


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ImportViewMixin, admin.ModelAdmin):
    list_display = ["code", "name", "region", "effective_from", "effective_to", "status", "imported_at", "imported_by"]
    list_filter = ["status", "region"]
    search_fields = ["code", "name", "region"]
    date_hierarchy = "effective_from"
    readonly_fields = [
        "code", "name", "region", "effective_from", "effective_to", "status", "source_name", "imported_at",
        "imported_by", "export_link", "pretty_document",
    ]
    exclude = ["document"]
    actions = ["export_packs", "activate_versions", "retire_versions"]
    import_label = _("导入政策包")
    import_form_class = PolicyPackUploadForm
    error_headings = (_("键"), _("错误"))

    def has_add_permission(self, request):
        return False  # versions come from the import page only

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.status == PolicyStatus.DRAFT)

    def get_urls(self):
        export = self.admin_site.admin_view(self.export_view)
        return [path("<int:pk>/export/", export, name="policy_rules_policyversion_export"), *super().get_urls()]

    @admin.display(description=_("政策包内容"))
    def pretty_document(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.document, ensure_ascii=False, indent=2))

    @admin.display(description=_("导出"))
    def export_link(self, obj):
        url = reverse("admin:policy_rules_policyversion_export", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("下载政策包(JSON)"))

    def export_view(self, request, pk):
        version = get_object_or_404(PolicyVersion, pk=pk)
        if not self.has_view_permission(request, version):
            raise PermissionDenied
        return _pack_download(version)

    def run_import(self, request, form):
        upload = form.cleaned_data["file"]
        try:
            doc = load_policy_document(upload.read(), upload.name)
            version = import_policy_pack(
                doc, user=request.user, source_name=upload.name, activate=not form.cleaned_data["draft"]
            )
        except PolicyPackError as exc:
            rows = [(e["key"], e["message"]) for e in exc.errors]
            return None, (_("政策包未导入：共%(n)d处错误。") % {"n": len(rows)}, rows)
        return _("已导入政策包%(code)s(%(status)s)。") % {
            "code": version.code, "status": version.get_status_display(),
        }, None

    @admin.action(description=_("导出所选政策包"), permissions=["view"])
    def export_packs(self, request, queryset):
        versions = list(queryset.order_by("code"))
        if len(versions) == 1:
            return _pack_download(versions[0])
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for version in versions:
                archive.writestr(f"{version.code}.json", dump_policy_document(export_policy_pack(version)))
        return _download("policy-packs.zip", buffer.getvalue(), "application/zip")

    @admin.action(description=_("启用所选政策包"), permissions=["change"])
    def activate_versions(self, request, queryset):
        for version in queryset:
            try:
                activate_policy_version(version)
            except PolicyPackError as exc:
                for error in exc.errors:
                    self.message_user(request, f"{version.code} {error['key']}: {error['message']}", messages.ERROR)
            else:
                self.message_user(request, _("已启用%(code)s。") % {"code": version.code}, messages.SUCCESS)

    @admin.action(description=_("停用所选政策包"), permissions=["change"])
    def retire_versions(self, request, queryset):
        for version in queryset:
            retire_policy_version(version)
        self.message_user(request, _("已停用%(n)d个政策包。") % {"n": queryset.count()}, messages.SUCCESS)


# --- smart-audit rule library ------------------------------------------------------------------------


def _params_doc() -> str:
    return "; ".join(f"{code}: {{{', '.join(f'{k} {doc}' for k, doc in params.items())}}}"
                     for code, (_label, params) in audit_rule_types().items())


@admin.register(AuditRuleDefinition)
class AuditRuleDefinitionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "rule_type", "severity", "enabled", "effective_from", "effective_to",
                    "updated_at", "updated_by"]
    list_filter = ["rule_type", "severity", "enabled"]
    search_fields = ["code", "name", "description"]
    readonly_fields = ["created_at", "created_by", "updated_at", "updated_by"]
    list_select_related = ["updated_by"]
    actions = ["enable_rules", "disable_rules"]
    fields = ["code", "name", "rule_type", "params", "severity", "description", "effective_from", "effective_to",
              "enabled", *readonly_fields]

    def get_form(self, request, obj=None, **kwargs):
        kwargs.setdefault("help_texts", {})["params"] = _("JSON 对象。各规则类型的参数：%(doc)s") % {"doc": _params_doc()}
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("启用所选规则"), permissions=["change"])
    def enable_rules(self, request, queryset):
        n = set_rules_enabled(queryset, True, user=request.user)
        self.message_user(request, _("已启用 %(n)d 条规则。") % {"n": n}, messages.SUCCESS)

    @admin.action(description=_("停用所选规则"), permissions=["change"])
    def disable_rules(self, request, queryset):
        n = set_rules_enabled(queryset, False, user=request.user)
        self.message_user(request, _("已停用 %(n)d 条规则。") % {"n": n}, messages.SUCCESS)
