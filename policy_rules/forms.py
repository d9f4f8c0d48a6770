from pathlib import Path

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _check_upload(upload, allowed: set[str]):
    suffix = Path(upload.name).suffix.lower()
    if suffix not in allowed:
        raise forms.ValidationError(
            _("不支持的文件类型“%(suffix)s”，允许: %(allowed)s。"),
            params={"suffix": suffix or "-", "allowed": ", ".join(sorted(allowed))},
        )
    if upload.size > MAX_UPLOAD_BYTES:
        raise forms.ValidationError(_("文件过大，最大20MB。"))
    return upload


class PolicyPackUploadForm(forms.Form):
    file = forms.FileField(label=_("政策包文件"), help_text=_("JSON 或 YAML 格式"))
    draft = forms.BooleanField(label=_("仅保存为草稿(不生效)"), required=False)

    def clean_file(self):
        return _check_upload(self.cleaned_data["file"], {".json", ".yaml", ".yml"})


class CatalogUploadForm(forms.Form):
    file = forms.FileField(label=_("目录文件"), help_text=_("CSV 或 XLSX 格式，首行为列名"))
    effective_from = forms.DateField(label=_("生效日期"), help_text=_("YYYY-MM-DD"))

    def clean_file(self):
        return _check_upload(self.cleaned_data["file"], {".csv", ".xlsx"})
