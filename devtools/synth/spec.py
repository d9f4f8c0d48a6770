"""What city to generate (CitySpec) and the seeded random streams every part of it draws from.

Every random draw comes from a generator seeded by (seed, part, day), so a day is the same whether it is
generated alone or after others, and the same seed always gives the same city.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from devtools.synth.vocabulary import NAMED_ITEMS

# parts of the seed: each part of the city has its own random stream
PART_INSTITUTIONS, PART_PERSONS, PART_CATALOG, PART_DAY = 1, 2, 3, 4


@dataclass(frozen=True)
class CitySpec:
    persons: int
    institutions: int
    start_date: dt.date
    days: int = 1
    lines_per_day: int | None = None   # exactly this many fee lines a day ...
    visits_per_day: int | None = None  # ... or exactly this many visits (as many lines as they have)
    seed: int = 2026
    region: str = "410800"
    catalog_items: int = 3000
    catalog_from: dt.date | None = None  # the catalog's effective date (default 1 January of start_date's year)

    def __post_init__(self):
        if self.persons < 1 or self.institutions < 5 or self.days < 1:
            raise ValueError("a city needs persons >= 1, institutions >= 5 (every level and a pharmacy), days >= 1")
        if (self.lines_per_day is None) == (self.visits_per_day is None):
            raise ValueError("give exactly one of lines_per_day and visits_per_day")
        if self.catalog_items < len(NAMED_ITEMS) + 10:
            raise ValueError(f"catalog_items must be at least {len(NAMED_ITEMS) + 10}")
        if self.institutions > 99_999:
            raise ValueError("at most 99,999 institutions (H + region + 5 digits)")

    def dates(self) -> list[dt.date]:
        return [self.start_date + dt.timedelta(days=i) for i in range(self.days)]


def rng_for(seed: int, part: int, n: int = 0) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, part, n]))
