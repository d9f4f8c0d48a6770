"""Fund budgets and settlement with institutions; only the fund vocabulary so far."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Fund(models.TextChoices):
    HIFP = "hifp", _("基本医疗保险统筹基金")
    HIFOB = "hifob", _("职工大额医疗费用补助")
    HIFMI = "hifmi", _("居民大病保险")
    MAF = "maf", _("医疗救助")
