"""Checks of uploaded receipts: size, and type by the file's first bytes rather than by its name."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

#: leading bytes -> the extension the stored file gets
MAGIC = (
    (b"%PDF-", ".pdf"),
    (b"\xff\xd8\xff", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", ".png"),
)


def sniff(head: bytes) -> str | None:
    for magic, suffix in MAGIC:
        if head.startswith(magic):
            return suffix
    return None


def check_receipt(upload, *, max_bytes: int):
    """The upload, renamed to a random name with the extension its content proves, or a ValidationError."""
    if upload.size > max_bytes:
        raise ValidationError(
            _("The file is %(size)s MB; at most %(max)s MB is accepted.")
            % {"size": f"{upload.size / 1048576:.1f}", "max": max_bytes // 1048576},
            code="too_big",
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    suffix = sniff(head)
    if suffix is None:
        raise ValidationError(
            _("Upload a PDF, JPEG or PNG file; this file is none of them, whatever its name says."),
            code="type",
        )
    # The name people give a photo may carry their name or ID number; the stored one says nothing.
    upload.name = f"{uuid.uuid4().hex}{suffix}"
    return upload
