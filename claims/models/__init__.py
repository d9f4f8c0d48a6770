"""The claims app's models, one module per room: intake, settlement, batch."""
from claims.models.accounts import *  # noqa: F401,F403
from claims.models.batch import *  # noqa: F401,F403
from claims.models.common import *  # noqa: F401,F403
from claims.models.common import _append_only, _equals_sum, _gte_zero, _keys_exist, _sum_of  # noqa: F401
from claims.models.intake import *  # noqa: F401,F403
from claims.models.intake import _upload_job_path  # noqa: F401  (migration 0006 names it)
from claims.models.settlement import *  # noqa: F401,F403
