"""The DIP estimate issued with a month's statements (docs/dip.md, "Running points and the estimated point
value"): per run and region the year so far and its forecast, per statement the institution's running points.
Issued once with the run, never changed; a reopened month's new run gets its own rows, the superseded
statements keep theirs."""
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from fund_budget.models.common import APPEND_ONLY, MONEY
from fund_budget.models.statements import MonthlyRun, MonthlyStatement

POINTS = {"max_digits": 16, "decimal_places": 4}


class DipMonthEstimate(models.Model):
    """A region's DIP year as a month's statement run saw it: running points, forecast and the estimated point
    value (casemix.estimates)."""

    run = models.ForeignKey(MonthlyRun, on_delete=models.PROTECT, related_name="dip_estimates",
                            verbose_name=_("月度结算批次"))
    region = models.CharField(_("统筹区"), max_length=6)
    year = models.PositiveSmallIntegerField(_("年度"))
    months = models.PositiveSmallIntegerField(_("已过月数"))
    table = models.ForeignKey("casemix.GroupingTable", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("分组表"))
    parameters = models.ForeignKey("casemix.DipYearParameters", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("年度参数"))
    budget = models.DecimalField(_("DIP基金预算"), **MONEY)
    cases = models.PositiveIntegerField(_("病例数"))
    grouped = models.PositiveIntegerField(_("入组病例数"))
    points = models.DecimalField(_("累计点数"), **POINTS)
    patient_share = models.DecimalField(_("累计个人负担"), **MONEY)
    forecast_points = models.DecimalField(_("全年预测点数"), **POINTS)
    forecast_patient_share = models.DecimalField(_("全年预测个人负担"), **MONEY)
    point_value = models.DecimalField(_("预估点值"), max_digits=16, decimal_places=6, default=Decimal("0"))

    class Meta:
        verbose_name = _("DIP月度预估")
        verbose_name_plural = _("DIP月度预估")
        ordering = ["run", "region"]
        constraints = [models.UniqueConstraint(fields=["run", "region"], name="%(app_label)s_%(class)s_uniq")]
        triggers = [APPEND_ONLY]

    def __str__(self) -> str:
        return f"{self.run_id} {self.region} {self.point_value}"


class StatementDipPoints(models.Model):
    """An institution's running DIP points on its monthly statement, with the region's estimate."""

    statement = models.OneToOneField(MonthlyStatement, on_delete=models.PROTECT, related_name="dip_points",
                                     verbose_name=_("月度结算单"))
    estimate = models.ForeignKey(DipMonthEstimate, on_delete=models.PROTECT, related_name="statements",
                                 verbose_name=_("DIP月度预估"))
    cases = models.PositiveIntegerField(_("病例数"))
    grouped = models.PositiveIntegerField(_("入组病例数"))
    points = models.DecimalField(_("累计点数"), **POINTS)
    patient_share = models.DecimalField(_("累计个人负担"), **MONEY)

    class Meta:
        verbose_name = _("结算单DIP累计点数")
        verbose_name_plural = _("结算单DIP累计点数")
        ordering = ["statement"]
        triggers = [APPEND_ONLY]

    def __str__(self) -> str:
        return f"{self.statement_id} {self.points}"
