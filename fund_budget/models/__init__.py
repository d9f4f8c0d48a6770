"""The fund's models, one module per concern: budget, payment methods, statements and clearing,
reopening a month."""
from fund_budget.models.budget import *  # noqa: F401,F403
from fund_budget.models.common import *  # noqa: F401,F403
from fund_budget.models.common import _check, _choice, _rate_between_0_and_1  # noqa: F401
from fund_budget.models.dip import *  # noqa: F401,F403
from fund_budget.models.payment import *  # noqa: F401,F403
from fund_budget.models.reopening import *  # noqa: F401,F403
from fund_budget.models.statements import *  # noqa: F401,F403
