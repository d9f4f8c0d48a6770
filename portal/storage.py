"""The appeal attachments' FileField storage callable (its path is in the portal's migrations); the private
store itself is core.private_storage, shared with the 门慢特 applications' evidence."""
from __future__ import annotations

from core.private_storage import PrivateStorage, private_storage


def get_private_storage() -> PrivateStorage:
    """The FileField's storage (a callable, so migrations do not freeze a path)."""
    return private_storage
