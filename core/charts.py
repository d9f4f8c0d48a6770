"""Chart specifications for the pages' ECharts charts (static/vendor/echarts, started by static/js/charts.js).

A page passes a spec to the browser with json_script; charts.js turns it into the ECharts option. A spec holds
the chart's kind, its axis names and category labels (in the page's language: Chinese by default) and its
series as plain JSON numbers: money is rounded half up to the fen here, then written as a number (a chart
plots, it never adds up; the tables beside it keep the Decimal figures)."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")


def money_number(value: Decimal | int | None) -> float | None:
    """A money amount as a JSON number of yuan to the fen (None stays None: a gap in the line)."""
    if value is None:
        return None
    return float(Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP))


def series(name: str, values, *, money: bool = True, style: str = "solid", kind: str | None = None) -> dict:
    """One series: its name, its values (money to the fen, or counts as integers), its line style and, in a
    mixed chart, its own kind (line or bar)."""
    data = [money_number(v) if money else (None if v is None else int(v)) for v in values]
    out = {"name": str(name), "data": data, "style": style}
    if kind:
        out["kind"] = kind
    return out


def chart(kind: str, *, title: str, categories: list[str], x_name: str, y_name: str, series_list: list[dict],
          money: bool = True) -> dict:
    """A chart spec: kind "line" or "bar", a title, the category axis (labels and name), the value axis's
    name, the series, and whether values are money (yuan: the axis shows 万元 past ten thousand)."""
    return {"kind": kind, "title": str(title), "categories": [str(c) for c in categories], "x_name": str(x_name),
            "y_name": str(y_name), "series": series_list, "money": money}
