"""Smart audit (智能审核): a rule library run as frame operations over one visit or a day's batch.

The package's public API (what the claims pipeline, the rule library in the database, the tests and the
benchmarks use):

    hits = run_audit(lines, visits, catalog, default_rules(), history=..., inst_stats=..., line_split=...)

  runner    run_audit, OUTPUT_COLUMNS: the inputs and the hits frame are described there
  schema    AuditRule, RULE_TYPES / SCHEMAS (every rule type's parameters), validation, normalization
  library   default_rules, DEMO_ITEMS: the starter library
  context   AuditContext (the batch and what the rules derive from it), Hits, AuditInputError
  rules     one function per rule type (rules.lines over fee lines, rules.visits over whole visits)
  groups, evidence, units   what the rules share: grouping, evidence strings, time and money units

Pure Python, numpy and pandas, like the rest of the engine: no Django.
"""
from .context import AuditInputError
from .library import DEMO_ITEMS, default_rules
from .runner import OUTPUT_COLUMNS, run_audit
from .schema import (
    RULE_TYPES,
    SCHEMAS,
    SEVERITIES,
    AuditRule,
    AuditRuleError,
    normalize_params,
    validate_rule,
    validate_rule_params,
)

__all__ = [
    "DEMO_ITEMS", "OUTPUT_COLUMNS", "RULE_TYPES", "SCHEMAS", "SEVERITIES", "AuditInputError", "AuditRule",
    "AuditRuleError", "default_rules", "normalize_params", "run_audit", "validate_rule", "validate_rule_params",
]
