"""Reading a policy pack document: every error collected with the path of the key at fault (pack.py and
schemes.py parse with it)."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from .money import FEN, RATIO_SCALE, to_decimal


@dataclass(frozen=True)
class Band:
    upto_fen: int | None  # None: no upper bound
    ratio_e6: int


class Reader:
    """Collects every error with the path of the key at fault instead of stopping at the first."""

    def __init__(self):
        self.errors: list[dict] = []

    def err(self, key: str, message: str):
        self.errors.append({"key": key, "message": message})

    def obj(self, value, key, required=True) -> dict | None:
        if value is None:
            if required:
                self.err(key, "is required")
            return None
        if not isinstance(value, dict):
            self.err(key, "must be an object")
            return None
        return value

    def unknown(self, value: dict, allowed: set[str], key: str):
        for k in value:
            if k not in allowed:
                self.err(f"{key}.{k}" if key else k, "unknown key")

    def text(self, value, key, pattern=None, required=True) -> str | None:
        if value is None or value == "":
            if required:
                self.err(key, "is required")
            return None
        if not isinstance(value, str | int) or isinstance(value, bool):
            self.err(key, "must be a string")
            return None
        value = str(value)
        if pattern and not re.fullmatch(pattern, value):
            self.err(key, f"must match {pattern}")
            return None
        return value

    def date(self, value, key, required=True) -> dt.date | None:
        if value is None:
            if required:
                self.err(key, "is required")
            return None
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.err(key, "must be a date YYYY-MM-DD")
            return None

    def decimal(self, value, key, *, places: int, lo=None, hi=None, required=True) -> Decimal | None:
        if value is None:
            if required:
                self.err(key, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            self.err(key, "must be a decimal number")
            return None
        try:
            d = to_decimal(value)
        except ValueError:
            self.err(key, f"must be a decimal number, got {value!r}")
            return None
        if d != d.quantize(Decimal(1).scaleb(-places)):
            self.err(key, f"has more than {places} decimal places")
            return None
        if lo is not None and d < lo:
            self.err(key, f"must be at least {lo}")
            return None
        if hi is not None and d > hi:
            self.err(key, f"must be at most {hi}")
            return None
        return d

    def money(self, value, key, required=True) -> int | None:
        d = self.decimal(value, key, places=2, lo=0, required=required)
        return None if d is None else int(d * FEN)

    def ratio(self, value, key, required=True) -> int | None:
        d = self.decimal(value, key, places=6, lo=0, hi=1, required=required)
        return None if d is None else int(d * RATIO_SCALE)

    def codes(self, value, key) -> frozenset[str]:
        if not isinstance(value, list) or not value:
            self.err(key, "must be a non-empty list")
            return frozenset()
        out = set()
        for i, v in enumerate(value):
            t = self.text(v, f"{key}[{i}]")
            if t is not None:
                out.add(t)
        return frozenset(out)

    def flag(self, value, key, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.err(key, "must be true or false")
            return default
        return value

    def choice(self, value, key, options: tuple[str, ...], default: str) -> str:
        if value is None:
            return default
        if value not in options:
            self.err(key, f"must be one of {', '.join(options)}")
            return default
        return value

    def bands(self, value, key) -> tuple[Band, ...]:
        if not isinstance(value, list) or not value:
            self.err(key, "must be a non-empty list of {upto, ratio}")
            return ()
        out: list[Band] = []
        last = None
        for i, b in enumerate(value):
            k = f"{key}[{i}]"
            if not isinstance(b, dict):
                self.err(k, "must be an object {upto, ratio}")
                continue
            self.unknown(b, {"upto", "ratio"}, k)
            if "upto" not in b:
                self.err(f"{k}.upto", "is required (null for no upper bound)")
            upto = None if b.get("upto") is None else self.money(b["upto"], f"{k}.upto")
            ratio = self.ratio(b.get("ratio"), f"{k}.ratio")
            if b.get("upto") is None and i != len(value) - 1:
                self.err(f"{k}.upto", "only the last band may be unbounded")
            if upto is not None and last is not None and upto <= last:
                self.err(f"{k}.upto", "bands must be in increasing order of upto")
            if upto is not None:
                last = upto
            if ratio is not None:
                out.append(Band(upto, ratio))
        return tuple(out)
