"""The smart audit over frames handed over as their columns (policy_rules.engine.columnar) finds exactly what it
finds over the frames.

At the counter the audit's inputs (a visit's lines, the visit, its catalog rows, the person's other visits, the
institution's statistics) come as Columns, and run_audit hands its hits back as Columns when the lines came so.
Here random batches run both ways: the hits, as a frame, must agree in columns, dtypes, index and values.
"""
from __future__ import annotations

import pandas as pd
import pytest

from policy_rules.engine.audit import AuditRule, default_rules, run_audit
from policy_rules.engine.columnar import Columns, exact_columns, frame_of, rows_of

from .audit_builders import ITEMS
from .test_small_inputs import canonical, random_batch

RULES = default_rules(ITEMS) + [
    AuditRule("X-IND", "indication", {"items": {"MET": ["E11", "R73"], "F": ["N97", "O26.2"]}}, "suspect"),
    AuditRule("X-FREQ", "frequency", {"codes": ["001", "BED"], "max": 1, "per": "day"}),
    AuditRule("X-CRS", "course_limit", {"codes": ["IV", "AMOX"], "max_days": 2}),
]


def as_columns(frame: pd.DataFrame) -> Columns | pd.DataFrame:
    """The frame's columns as Columns (copies of its arrays), or the frame where they cannot stand for it."""
    found = exact_columns({c: frame[c].to_numpy().copy() for c in frame.columns})
    return frame if found is None else found


@pytest.mark.parametrize("seed,n_visits", [(1, 1), (2, 1), (3, 2), (4, 12), (5, 60)])
def test_the_audit_over_columns_finds_what_it_finds_over_frames(seed, n_visits):
    batch = random_batch(seed, n_visits)
    by_frames = run_audit(rules=RULES, **batch)
    given = {name: as_columns(frame) for name, frame in batch.items()}
    assert all(isinstance(part, Columns) for part in given.values())  # every input as Columns indeed
    hits = run_audit(rules=RULES, **given)
    assert isinstance(hits, Columns) and len(hits) == len(by_frames)  # the lines came as Columns: so do the hits
    assert canonical(frame_of(hits)) == canonical(by_frames)
    # the lines as a frame, the rest as Columns: the hits come as a frame
    assert canonical(run_audit(rules=RULES, **{**given, "lines": batch["lines"]})) == canonical(by_frames)


def test_no_hits_come_as_empty_columns():
    batch = random_batch(1, 1)
    given = {name: as_columns(frame) for name, frame in batch.items()}
    hits = run_audit(rules=[], **given)
    assert isinstance(hits, Columns) and len(hits) == 0
    assert canonical(frame_of(hits)) == canonical(run_audit(rules=[], **batch))


def test_rows_of_columns_are_the_frames_rows():
    frame = random_batch(4, 12)["visits"]
    keep = (frame["med_type"] == "21").to_numpy()
    assert canonical(frame_of(rows_of(as_columns(frame), keep))) == canonical(rows_of(frame, keep))
    assert canonical(rows_of(frame, keep)) == canonical(frame[keep].reset_index(drop=True))
