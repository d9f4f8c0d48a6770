"""The claims verbs, in one place for views, the API, Celery tasks, admin actions and commands."""
from claims.errors import ServiceError
from claims.intake.services import (
    cancel_fee_lines,
    classify_visit_lines,
    discharge_visit,
    register_visit,
    upload_fee_lines,
)
from claims.settlement.services import cancel_settlement, presettle_visit, settle_visit, settle_visits

__all__ = [
    "ServiceError", "cancel_fee_lines", "cancel_settlement", "classify_visit_lines", "discharge_visit",
    "presettle_visit", "register_visit", "settle_visit", "settle_visits", "upload_fee_lines",
]
