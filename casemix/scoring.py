"""The year's grouping and scoring by its payment method (docs/drg.md section 3): DIP groups by the DIP table;
DRG (点数法 or 费率法) groups by the DRG table. Both end in the engine's one score_year (points, point value or
the fixed rate, each institution's amount and clearing); each case also carries its DRG path (empty for DIP)."""
from __future__ import annotations

import pandas as pd

from policy_rules.engine.dip import VALUE_SCALE, DipResult, dip_year
from policy_rules.engine.drg import drg_year

from . import drg_selectors, selectors
from .drg_models import TABLE_KIND_OF, PaymentMethod
from .models import DipYearParameters, GroupingTable

PATH_COLUMNS = ("reason", "mdc", "adrg", "severity")
NO_REF_COST = "NO_REF"


def table_kind(parameters: DipYearParameters | None) -> str:
    """The kind of grouping table the year's method reads (dip without parameters)."""
    return TABLE_KIND_OF[PaymentMethod(parameters.method if parameters else PaymentMethod.DIP)]


def score_year_of(parameters: DipYearParameters, table: GroupingTable, cases: pd.DataFrame) -> DipResult:
    """Group and score the year's cases (selectors.year_cases) by the year's method. Raises DipInputError."""
    params = selectors.engine_params(parameters)
    if parameters.method == PaymentMethod.DIP:
        result = dip_year(cases, selectors.groups_frame(table), params)
        for column in PATH_COLUMNS:
            result.cases[column] = ""
        return result
    rate = int(parameters.rate * VALUE_SCALE) if parameters.method == PaymentMethod.DRG_RATE else None
    result = drg_year(drg_selectors.with_secondary(cases), drg_selectors.engine_table(table), params, rate)
    # in a DRG but without a reference cost at its institution's level: ungrouped too (shared/spec/dip.md §1)
    frame = result.cases
    frame.loc[(frame["group"] == "") & (frame["reason"] == ""), "reason"] = NO_REF_COST
    return result
