"""The smart audit's rule types (智能审核规则): each one a frame operation over a whole batch of fee lines.

A rule function takes the batch's `AuditContext` and its normalized parameters (audit.normalize_params) and
returns its hits (`Hits`) or None. `RULE_FUNCTIONS` maps every rule type to its function:
  audit_context       AuditContext, Groups, Hits and the helpers the rules share (evidence strings, units)
  audit_rules_lines   the rules over a visit's fee lines, one line or a group of lines at a time
  audit_rules_visits  the rules over whole visits: across visits (with the history) and against the
                      institution's statistics

No rule loops over lines in Python: lines are selected with boolean masks and grouped with `Groups` (a
sort by integer keys and `reduceat`); Python loops run over rules, over a rule's parameters (pairs,
indication items) and over hits (their line tuples and evidence pieces).

AuditContext, AuditInputError, Hits and HOUR_NS are importable from here as well, as audit.py does.
"""
from __future__ import annotations

from .audit_context import HOUR_NS, AuditContext, AuditInputError, Hits
from .audit_rules_lines import (
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
from .audit_rules_visits import rule_outlier, rule_overlapping_stays, rule_readmission

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

__all__ = ["HOUR_NS", "RULE_FUNCTIONS", "AuditContext", "AuditInputError", "Hits"]
