"""What an uploaded piece of evidence may be (an appeal's attachments in the portal, a 门慢特 application's
evidence): checked by its content, not by its name or the browser's word.

PDF (starts with "%PDF-"), JPEG (FF D8 FF) and PNG (the 8-byte PNG signature) are accepted, at most
PORTAL_ATTACHMENT_MAX_BYTES each and PORTAL_ATTACHMENT_MAX_FILES per appeal or application. The form field
that takes several files is here too, for every app's forms."""
from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

# (magic bytes at offset 0, the content type stored and served, a label for messages)
ALLOWED_TYPES = (
    (b"%PDF-", "application/pdf", "PDF"),
    (b"\xff\xd8\xff", "image/jpeg", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "PNG"),
)
CHUNK = 64 * 1024


@dataclass(frozen=True)
class CheckedFile:
    """An uploaded file that passed the checks, with what is recorded about it."""

    upload: object  # django UploadedFile
    name: str
    content_type: str
    size: int
    sha256: str


def sniff(head: bytes) -> str | None:
    """The content type the first bytes show, None when they are not of an allowed type."""
    for magic, content_type, _label in ALLOWED_TYPES:
        if head.startswith(magic):
            return content_type
    return None


def _human_size(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n} B"


def check_upload(upload) -> CheckedFile:
    """The size and the type of one uploaded file, checked; ValidationError naming the file otherwise."""
    name = (upload.name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:255] or "file"
    limit = settings.PORTAL_ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(_("%(name)s is too large: at most %(limit)s per file.") % {
            "name": name, "limit": _human_size(limit)}, code="too_large")
    if upload.size == 0:
        raise ValidationError(_("%(name)s is empty.") % {"name": name}, code="empty")
    upload.seek(0)
    content_type = sniff(upload.read(16))
    if content_type is None:
        raise ValidationError(_("%(name)s is not a PDF, JPEG or PNG file (checked by its content).") % {
            "name": name}, code="bad_type")
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks(CHUNK):
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(upload=upload, name=name, content_type=content_type, size=upload.size,
                       sha256=digest.hexdigest())


def check_uploads(uploads) -> list[CheckedFile]:
    """Every file checked (all errors at once); the same content twice is kept once."""
    uploads = list(uploads or [])
    if len(uploads) > settings.PORTAL_ATTACHMENT_MAX_FILES:
        raise ValidationError(_("At most %(n)d files per appeal.") % {"n": settings.PORTAL_ATTACHMENT_MAX_FILES},
                              code="too_many")
    checked, errors, seen = [], [], set()
    for upload in uploads:
        try:
            f = check_upload(upload)
        except ValidationError as exc:
            errors.append(exc)
            continue
        if f.sha256 not in seen:
            seen.add(f.sha256)
            checked.append(f)
    if errors:
        raise ValidationError(errors)
    return checked


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern); each is cleaned by FileField."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def download_response(stored) -> FileResponse:
    """A stored file (a model with file, original_name and content_type) as a private download, with the type
    its content was checked to be; 404 when the file is missing from the store. The caller checks who asks."""
    try:
        handle = stored.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("The file is missing from the store.")) from exc
    response = FileResponse(handle, as_attachment=True, filename=stored.original_name,
                            content_type=stored.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@contextlib.contextmanager
def removed_on_failure(storage):
    """Files stored inside the block (store_checked appends their names to the list it yields) are deleted
    from `storage` again when the block fails, e.g. when the transaction writing their rows is rolled back:
    nothing half-written stays in the private store."""
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        for name in stored:
            storage.delete(name)
        raise


def store_checked(row, checked: CheckedFile, stored: list[str]) -> None:
    """Save a checked file under its SHA-256 in the row's FileField, then the row (in the caller's transaction)."""
    row.file.save(checked.sha256, checked.upload, save=False)
    stored.append(row.file.name)
    row.save()
