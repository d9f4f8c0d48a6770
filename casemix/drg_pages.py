"""What the DIP pages (casemix.pages) show of a DRG year's case: the path through the table (MDC, ADRG, the
severity of its complications, the DRG and its relative weight) or why it stayed ungrouped."""
from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .drg_models import DrgGroup

REASONS = {
    "NO_MDC": gettext_lazy("主要诊断 %(diag)s 不属于任何MDC"),
    "NO_ADRG": gettext_lazy("MDC %(mdc)s 内主要手术 %(oprn)s 和主要诊断 %(diag)s 均无匹配的ADRG"),
    "NO_DRG": gettext_lazy("MDC %(mdc)s · ADRG %(adrg)s · 并发症 %(severity)s：该ADRG没有此级别或更低级别的DRG"),
    "NO_REF": gettext_lazy("DRG没有该医院等级的参考费用"),
}


def drg_path(case, group: DrgGroup | None, diag: str, oprn: str) -> str:
    """The case's way to its DRG, or why it stayed ungrouped (then it is paid by items)."""
    values = {"mdc": case.mdc or "—", "adrg": case.adrg or "—", "severity": case.severity or "—",
              "diag": diag or "—", "oprn": oprn or "—"}
    if group is None:
        reason = REASONS.get(case.ungrouped_reason)
        text = str(reason) % values if reason else _("未入组")
        return _("%(why)s（%(code)s），按项目付费") % {"why": text, "code": case.ungrouped_reason or "—"}
    return _("MDC %(mdc)s · ADRG %(adrg)s · 并发症 %(severity)s → %(drg)s（RW %(rw)s × 100）") % {
        **values, "drg": group.code, "rw": group.rw}
