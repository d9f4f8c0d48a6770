"""The visits' active fee lines as the counter reads them once: for the checks, the engine, the plan and the audit.

The database scales the amounts to the engine's integers as the night's reader does (claims.batch.reader
LINES_SQL: cnt and pric × 10^4, amounts in fen, the stored split in fen and its ratio × 10^6, -1 where none),
so no Decimal is made or converted per line in Python. The lines come column by column; `frame` is the one
frame of the engine's lines and the plan's line keys (plan.LINE_KEYS) together, and `audit_frame` the audit's
lines (the same arrays in the model's order, with the fee times).
"""
from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd
from django.db.models import BigIntegerField, DecimalField, ExpressionWrapper, F, Value, Window
from django.db.models.functions import Cast, Coalesce, Round, RowNumber

from claims.models import FeeLine, FeeLineStatus
from claims.settlement.plan import SPLIT_FEN
from core.periods import local_naive
from core.prepared import Prepared
from policy_rules.engine.columnar import Columns, columns_or_frame, frame_of
from policy_rules.engine.frames import datetime_column, inferred_column


class DriverInt(ExpressionWrapper):
    """An integer expression read as the database driver gives it: psycopg2 and sqlite3 give an integer column's
    values as int already, so Django's int() of each value (the converter an integer output field adds) is left
    out. With no converter left among a read's columns, Django does not go through its rows one by one at all
    (SQLCompiler.results_iter): the counter's reads of a visit's hundred lines and catalog items each made one to
    ten such calls per row."""

    def __init__(self, expression, output_field=None):
        super().__init__(expression, output_field=output_field or BigIntegerField())

    def get_db_converters(self, connection):
        return self.output_field.get_db_converters(connection)  # the field's own (none for integers), not int()


def scaled_bigint(field: str, scale: int, *, missing: int | None = None):
    """round(field × scale) as a bigint, as the night's reader computes it (missing: coalesce(…, missing)), read
    as the driver gives it (DriverInt)."""
    value = Cast(Round(F(field) * Value(scale, output_field=DecimalField())), BigIntegerField())
    return DriverInt(value if missing is None else Coalesce(value, Value(missing), output_field=BigIntegerField()))


# the annotations of the read, named as the engine's and the plan's columns
_SCALED = {
    "cnt_e4": scaled_bigint("cnt", 10_000), "pric_e4": scaled_bigint("pric", 10_000),
    "amount_fen": scaled_bigint("det_item_fee_sumamt", 100),
    **{f"stored_{c}": scaled_bigint(c, 100, missing=-1) for c in SPLIT_FEN},
    "stored_selfpay_prop_e6": scaled_bigint("selfpay_prop", 1_000_000, missing=-1),
}
# each line's place in the model's order (visit, feedetl_sn: the database's collation), in which the audit reads them
_MODEL_ORDER = {"model_order": DriverInt(Window(RowNumber(), order_by=[F("visit_id").asc(), F("feedetl_sn").asc()]))}
# the columns read, in this order
LINE_FIELDS = ("visit_id", "pk", "visit__mdtrt_id", "feedetl_sn", "med_list_codg", "fee_ocur_time", "chrgitm_lv",
               "reason", *_SCALED, "model_order")

# the engine's order: by visit, then as stored (pk); the audit reads them in the model's order (visit, feedetl_sn)
_ACTIVE_LINES = Prepared(FeeLine, lambda visit_ids: FeeLine.objects.filter(
    visit__in=visit_ids, status=FeeLineStatus.ACTIVE).annotate(**_SCALED, **_MODEL_ORDER).order_by("visit_id", "pk")
    .values_list(*LINE_FIELDS))

# the frame's columns: the engine's lines (frames.lines_frame), the plan's keys (plan.LINE_KEYS), the fee time
ENGINE_COLUMNS = ("mdtrt_id", "feedetl_sn", "med_list_codg", "cnt_e4", "pric_e4", "amount_fen")
AUDIT_COLUMNS = (*ENGINE_COLUMNS, "fee_ocur_time")
_INTEGERS = ("visit_id", "pk", *_SCALED)


class ActiveLines:
    """Active lines column by column (LINE_FIELDS, visit__mdtrt_id as mdtrt_id), in the engine's order."""

    def __init__(self, columns: dict[str, list]):
        self.columns = columns

    @classmethod
    def from_rows(cls, rows: list[tuple]) -> ActiveLines:
        values = list(zip(*rows, strict=True)) if rows else [()] * len(LINE_FIELDS)
        return cls({("mdtrt_id" if f == "visit__mdtrt_id" else f): list(v)
                    for f, v in zip(LINE_FIELDS, values, strict=True)})

    def __len__(self) -> int:
        return len(self.columns["pk"])

    def visit_ids(self) -> set[int]:
        return set(self.columns["visit_id"])

    def of(self, visit_ids) -> ActiveLines:
        """The lines of these visits (self when they are all of them)."""
        ids = set(visit_ids)
        keep = [i for i, v in enumerate(self.columns["visit_id"]) if v in ids]
        if len(keep) == len(self):
            return self
        return ActiveLines({c: [values[i] for i in keep] for c, values in self.columns.items()})

    def line_ids(self) -> dict[tuple[int, str], int]:
        """{(visit_id, feedetl_sn): fee line pk}."""
        c = self.columns
        return dict(zip(zip(c["visit_id"], c["feedetl_sn"], strict=True), c["pk"], strict=True))

    @cached_property
    def arrays(self) -> dict[str, np.ndarray | list]:
        """The frames' columns, each converted once: integers as int64, texts as pandas infers them, the fee
        times as naive local datetime64 (each distinct time converted once)."""
        c = self.columns
        out = {k: np.array(c[k], dtype=np.int64) for k in _INTEGERS}
        out["fee_line_id"] = out.pop("pk")
        for k in ("mdtrt_id", "feedetl_sn", "med_list_codg"):
            out[k] = inferred_column(c[k])
        out["stored_chrgitm_lv"] = inferred_column([v or "" for v in c["chrgitm_lv"]])
        out["stored_reason"] = inferred_column([v or "" for v in c["reason"]])
        local = {t: local_naive(t) for t in set(c["fee_ocur_time"])}
        out["fee_ocur_time"] = datetime_column([local[t] for t in c["fee_ocur_time"]])
        return out

    @cached_property
    def columns_part(self) -> Columns | pd.DataFrame:
        """The engine's lines (frames.lines_frame's columns) with the plan's LINE_KEYS: one part for both, as
        Columns where its arrays are what the frame would hold (policy_rules.engine.columnar)."""
        a = self.arrays
        return columns_or_frame({
            **{k: a[k] for k in ENGINE_COLUMNS},
            "fee_line_id": a["fee_line_id"],
            **{f"stored_{k}": a[f"stored_{k}"] for k in SPLIT_FEN},
            "stored_selfpay_prop_e6": a["stored_selfpay_prop_e6"],
            "stored_chrgitm_lv": a["stored_chrgitm_lv"], "stored_reason": a["stored_reason"],
        }, texts=True)  # fresh columns, in the order given (no columns=: pandas would re-align); an object
        # array among them is inferred_column's, of str only: no date or time to look for

    @property
    def frame(self) -> pd.DataFrame:
        """columns_part's DataFrame."""
        return frame_of(self.columns_part)

    def audit_part(self) -> Columns | pd.DataFrame:
        """The audit's lines (AUDIT_COLUMNS) in the model's order (visit, feedetl_sn), as it has always read them:
        as Columns where the arrays are what the frame holds (a visit's few lines), else the frame."""
        a = self.arrays
        rank = self.columns["model_order"]
        if all(r < s for r, s in zip(rank, rank[1:], strict=False)):  # the two orders agree
            return columns_or_frame({k: a[k] for k in AUDIT_COLUMNS}, texts=True)
        take = np.argsort(np.array(rank, dtype=np.int64), kind="stable")
        order = take.tolist()
        return columns_or_frame({k: a[k][take] if isinstance(a[k], np.ndarray) else [a[k][i] for i in order]
                                 for k in AUDIT_COLUMNS}, texts=True)  # (object arrays of str only, as above)

    def audit_frame(self) -> pd.DataFrame:
        """audit_part's DataFrame."""
        return frame_of(self.audit_part())


def active_lines(visits) -> ActiveLines:
    """The visits' active lines, read once for the checks, the engine, the settlement lines and the audit."""
    return ActiveLines.from_rows(_ACTIVE_LINES([v.pk for v in visits]))
