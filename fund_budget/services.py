"""The fund-budget services other apps call (the smart-audit review calls record_deduction and
reverse_deduction); each lives in its own module."""
from .budget import (
    agree,
    answer,
    compute_draft_index,
    draft,
    is_institution_user,
    open_negotiation,
    prepare_indices,
    propose,
    spending_by_institution,
    take_step,
)
from .capitation import reconcile_capitation, record_penalty
from .clearing import approve_clearing, clear_year, compute_clearing, recompute_clearing
from .common import FundError, money
from .deductions import record_deduction, reverse_deduction, reverse_deduction_for_source
from .monthly import pay_disbursements, settle_month
from .reopening import approve_reopening, request_reopening

__all__ = [
    "FundError", "agree", "answer", "approve_clearing", "clear_year", "compute_clearing", "compute_draft_index",
    "approve_reopening", "draft", "is_institution_user", "money", "open_negotiation", "pay_disbursements",
    "prepare_indices", "propose", "reconcile_capitation", "record_deduction", "record_penalty", "recompute_clearing",
    "request_reopening", "reverse_deduction", "reverse_deduction_for_source", "settle_month", "spending_by_institution",
    "take_step",
]
