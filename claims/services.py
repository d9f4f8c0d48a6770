"""The claims verbs, in one place for views, the API, Celery tasks, admin actions and commands."""
from .errors import ServiceError
from .settlement import cancel_settlement, presettle_visit, settle_visit, settle_visits
from .uploads import cancel_fee_lines, classify_visit_lines, discharge_visit, register_visit, upload_fee_lines

__all__ = [
    "ServiceError", "cancel_fee_lines", "cancel_settlement", "classify_visit_lines", "discharge_visit",
    "presettle_visit", "register_visit", "settle_visit", "settle_visits", "upload_fee_lines",
]
