"""The smart audit's rule types (智能审核规则): each one a frame operation over a whole batch of fee lines.

A rule function takes the batch's `AuditContext` (audit.context) and its normalized parameters
(audit.schema.normalize_params) and returns its hits (`Hits`) or None. `RULE_FUNCTIONS` maps every rule type
to its function:
  rules.lines   the rules over a visit's fee lines, one line or a group of lines at a time
  rules.visits  the rules over whole visits: across visits (with the history) and against the
                institution's statistics
What they share: audit.context (AuditContext, Hits), audit.groups (Groups), audit.evidence (the evidence
strings), audit.units (time and money units).

No rule loops over lines in Python: lines are selected with boolean masks and grouped with `Groups` (a
sort by integer keys and `reduceat`); Python loops run over rules, over a rule's parameters (pairs,
indication items) and over hits (their line tuples and evidence pieces).
"""
from __future__ import annotations

from .lines import (
    rule_bed_days,
    rule_course_limit,
    rule_duplicate_charge,
    rule_fee_outside_visit,
    rule_frequency,
    rule_indication,
    rule_mutually_exclusive,
    rule_prescription_days,
    rule_price_markup,
    rule_restriction,
)
from .visits import rule_outlier, rule_overlapping_stays, rule_readmission

RULE_FUNCTIONS = {
    "restriction": rule_restriction,
    "frequency": rule_frequency,
    "duplicate_charge": rule_duplicate_charge,
    "mutually_exclusive": rule_mutually_exclusive,
    "bed_days": rule_bed_days,
    "prescription_days": rule_prescription_days,
    "course_limit": rule_course_limit,
    "indication": rule_indication,
    "readmission": rule_readmission,
    "overlapping_stays": rule_overlapping_stays,
    "fee_outside_visit": rule_fee_outside_visit,
    "price_markup": rule_price_markup,
    "outlier": rule_outlier,
}

__all__ = ["RULE_FUNCTIONS"]
