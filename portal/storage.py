"""The private file store of appeal attachments: PRIVATE_MEDIA_ROOT on the local disk, outside the web root,
MEDIA_ROOT and the static files. It has no URL: a file leaves it only through the portal's download view."""
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
        raise ValueError("Private files have no URL; they are served by portal.views.attachment_download.")


private_storage = PrivateStorage()


def get_private_storage() -> PrivateStorage:
    """The FileField's storage (a callable, so migrations do not freeze a path)."""
    return private_storage
