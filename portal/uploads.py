"""What an upload may be: its type proven by its content (never by its name), its size bounded.

Services call :func:`check_upload` before they store a file, so the admin, the API and the
self-service pages refuse the same files. The whole request is bounded earlier, by
``portal.middleware.RequestSizeLimitMiddleware`` (UPLOAD_MAX_MB).
"""

from __future__ import annotations

import codecs
import re
import uuid
import zipfile
from collections.abc import Iterable
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

MB = 1024 * 1024


@deconstructible
class RandomName:
    """``upload_to`` that stores a file as ``<folder>/<year>/<month>/<random>.<ext>``.

    The names people give files ("张三身份证.jpg") would otherwise be the file's path, which is its URL
    under /files/ and so shows in access logs. The model keeps the name given in a field of its own
    (``<field>_name``), for pages and for the name of a download.
    """

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def __call__(self, instance, filename: str) -> str:
        suffix = PurePath(filename or "").suffix.lower()
        if not re.fullmatch(r"\.[a-z0-9]{1,9}", suffix):
            suffix = ""
        return f"{self.folder}/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}{suffix}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RandomName) and other.folder == self.folder

    def __hash__(self) -> int:
        return hash(self.folder)


def given_name(upload) -> str:
    """The name a file was uploaded with, without any folder, at most 255 characters."""
    return PurePath(getattr(upload, "name", "") or "").name[-255:]


#: Receipts of tuition claims.
RECEIPT_TYPES = (".pdf", ".jpg", ".png")
#: Enterprises' policy plans ("一企一策").
PLAN_TYPES = (".pdf", ".doc", ".docx")
PLAN_MAX_MB = 20

_HEAD = 8192
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of .doc and .xls before 2007
_ZIP = b"PK\x03\x04"
_MAGIC = (
    (b"%PDF-", ".pdf"),
    (b"\xff\xd8\xff", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", ".png"),
)
#: the part an Office Open XML package must hold to be this kind of document
_OOXML_PARTS = (("xl/workbook.xml", ".xlsx"), ("word/document.xml", ".docx"))
_TEXT_SUFFIXES = (".txt", ".csv")
_OLE_SUFFIXES = (".doc", ".xls")
_ALIASES = {".jpeg": ".jpg"}


def _read_head(upload) -> bytes:
    upload.seek(0)
    head = upload.read(_HEAD)
    upload.seek(0)
    return head


def _ooxml_kind(upload) -> str | None:
    # Only the central directory is read, nothing is decompressed: a zip bomb costs nothing here.
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    finally:
        upload.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    for part, suffix in _OOXML_PARTS:
        if part in names:
            return suffix
    return None


def _is_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            # final=False: a character cut off at the end of the sample is not an error.
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return True
    return False


def sniff(upload) -> str | None:
    """The extension the file's content proves (``.pdf``, ``.jpg``, ``.xlsx``…), or None.

    Old Office files (.doc and .xls) share one container and text has no signature, so for those
    the name's extension must be one of the kinds the content allows.
    """
    head = _read_head(upload)
    for magic, suffix in _MAGIC:
        if head.startswith(magic):
            return suffix
    named = PurePath(getattr(upload, "name", "") or "").suffix.lower()
    named = _ALIASES.get(named, named)
    if head.startswith(_ZIP):
        return _ooxml_kind(upload)
    if head.startswith(_OLE):
        return named if named in _OLE_SUFFIXES else None
    if _is_text(head):
        return named if named in _TEXT_SUFFIXES else None
    return None


def check_upload(
    upload,
    *,
    allowed: Iterable[str],
    max_bytes: int,
    field: str | None = None,
    wrong_type: str | None = None,
    rename: bool = False,
):
    """The upload if its size and proven type are acceptable, else a ValidationError (on ``field``).

    The name's extension becomes the proven one (a PDF called page.html is stored as page.pdf). With
    ``rename`` the whole name becomes random: the name people give a photo may carry their name or
    ID number.
    """
    allowed = {_ALIASES.get(s.lower(), s.lower()) for s in allowed}
    problem = None
    size = getattr(upload, "size", None) or 0
    if size > max_bytes:
        problem = ValidationError(
            _("The file is %(size)s MB; at most %(max)s MB is accepted.")
            % {"size": f"{size / MB:.1f}", "max": max_bytes // MB},
            code="too_big",
        )
    else:
        suffix = sniff(upload)
        if suffix is None or suffix not in allowed:
            problem = ValidationError(
                wrong_type
                or _("This file is not of an accepted type (%(types)s), whatever its name says.")
                % {"types": " ".join(sorted(allowed))},
                code="type",
            )
        elif rename:
            upload.name = f"{uuid.uuid4().hex}{suffix}"
        else:
            name = PurePath(getattr(upload, "name", "") or "upload")
            if _ALIASES.get(name.suffix.lower(), name.suffix.lower()) != suffix:
                upload.name = f"{name.stem or 'upload'}{suffix}"
    if problem is not None:
        raise ValidationError({field: [problem]}) if field else problem
    return upload
