"""Field options and constraints the fund models share, and the funds themselves."""

import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.ledger import append_only

MONEY = {"max_digits": 16, "decimal_places": 2}
RATE = {"max_digits": 7, "decimal_places": 6, "validators": [MinValueValidator(0), MaxValueValidator(1)]}
USER = settings.AUTH_USER_MODEL
APPEND_ONLY = pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
# changed only by the fund services (a reversal, a payment, a draft's recomputation): core.ledger
SERVICES_ONLY = append_only()


def _check(condition: Q, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=condition, name=f"%(app_label)s_%(class)s_{name}")


def _choice(field: str, choices) -> models.CheckConstraint:
    return _check(Q(**{f"{field}__in": choices.values}), field)


def _rate_between_0_and_1(*fields: str) -> list[models.CheckConstraint]:
    return [_check(Q(**{f"{f}__gte": 0}) & Q(**{f"{f}__lte": 1}), f"{f}_0_1") for f in fields]


class Fund(models.TextChoices):
    HIFP = "hifp", _("基本医疗保险统筹基金")
    HIFOB = "hifob", _("职工大额医疗费用补助")
    HIFMI = "hifmi", _("居民大病保险")
    MAF = "maf", _("医疗救助")


# The settlement column holding each fund's payment (claims.Settlement).
FUND_COLUMNS = {Fund.HIFP: "hifp_pay", Fund.HIFOB: "hifob_pay", Fund.HIFMI: "hifmi_pay", Fund.MAF: "maf_pay"}
