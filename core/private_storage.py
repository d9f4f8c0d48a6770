"""The private file store of uploaded evidence (appeal attachments, 门慢特 application evidence): PRIVATE_MEDIA_ROOT on the local disk, outside the web root,
MEDIA_ROOT and the static files. It has no URL: a file leaves it only through a download view that checks who asks."""
from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """FileSystemStorage rooted at PRIVATE_MEDIA_ROOT, read at every use (so a test's override applies)."""

    @property
    def base_location(self):
        return settings.PRIVATE_MEDIA_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private files have no URL; they are served by the download views after a permission check.")


private_storage = PrivateStorage()


def get_private_storage() -> PrivateStorage:
    """The FileField's storage (a callable, so migrations do not freeze a path)."""
    return private_storage
