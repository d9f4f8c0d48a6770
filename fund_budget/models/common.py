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


# The funds, each accounted separately (独立核算、专户管理; docs/benefit-layers.md §F), by their national
# fund_pay_type code. One line per fund: its member name, code, label and sources. A source is a
# claims.Settlement amount column and the settlement's schemes (basic insutype, fund_budget.funds.scheme) whose
# amount of that column the fund pays; () is every scheme no other source of that column names, so each column
# is shared out whole. A fund with several sources adds them up (e.g. resident maternity into 390100).
FUNDS = (
    ("EMPLOYEE_POOL", "310100", _("职工基本医疗保险统筹基金"), (("hifp_pay", ()),)),
    ("CIVIL_SERVANT", "320100", _("公务员医疗补助基金"), (("cvlserv_pay", ()),)),
    ("LARGE_AMOUNT", "330100", _("大额医疗费用补助基金"), (("hifob_pay", ()),)),
    ("RETIRED_CADRES", "340100", _("离休人员医疗保障基金"), (("oth_pay", ()),)),
    ("DISABLED_VETERANS", "350100", _("一至六级残疾军人医疗补助基金"), (("hifdm_pay", ()),)),
    ("RESIDENT_POOL", "390100", _("城乡居民基本医疗保险基金"), (("hifp_pay", ("390",)), ("matn_pay", ("390",)))),
    ("CRITICAL_ILLNESS", "390200", _("城乡居民大病医疗保险基金"), (("hifmi_pay", ()),)),
    ("MATERNITY", "510100", _("生育基金"), (("matn_pay", ()),)),
    ("ASSISTANCE", "610100", _("医疗救助基金"), (("maf_pay", ()),)),
)
# The funds before the split (issue 17). Rows written then keep their code (money rows are append-only) and
# keep their meaning: the settlement column they summed over both schemes. Each names its successors, whose
# lines it also reads (a merged index of a year stated partly after the split); a successor reads the lines of
# its predecessor only when it is the only successor (hifob → 330100, not hifp → 310100 or 390100).
LEGACY_FUNDS = (
    ("HIFP", "hifp", _("基本医疗保险统筹基金(职工与居民合并)"), "hifp_pay", ("310100", "390100")),
    ("HIFOB", "hifob", _("职工大额医疗费用补助"), "hifob_pay", ("330100",)),
    ("HIFMI", "hifmi", _("居民大病保险"), "hifmi_pay", ("390200",)),
    ("MAF", "maf", _("医疗救助"), "maf_pay", ("610100",)),
)
Fund = models.TextChoices("Fund", [(name, (code, label)) for name, code, label, *_rest in (*FUNDS, *LEGACY_FUNDS)])
Fund.__doc__ = "Every fund code a row may carry: the current funds (FUNDS), then those before the split."
Fund.__module__ = __name__
Fund.__qualname__ = "Fund"

CURRENT_FUNDS = [code for _name, code, *_rest in FUNDS]
# (fund, settlement column, schemes) — what the statements, the monitoring and the spending read
SOURCES = [(code, column, frozenset(schemes)) for _name, code, _label, sources in FUNDS for column, schemes in sources]
LEGACY_COLUMNS = {code: column for _name, code, _label, column, _succ in LEGACY_FUNDS}
