"""What an upload may be: its type proven by its content (never by its name), its size bounded.

Services call :func:`check_upload` before they store a file, so the admin, the API and the
self-service pages refuse the same files. The whole request is bounded earlier, by
``portal.middleware.RequestSizeLimitMiddleware`` (UPLOAD_MAX_MB).

Office files (XLSX, DOCX) are zip packages, and a package of a few hundred KB can unpack to
gigabytes. :func:`zip_check` refuses one by its table of contents before anything is unpacked
(number of parts, declared sizes, packing ratio), and :class:`ZipReader` counts the bytes as a part is
unpacked and stops at the same limits, for a table of contents that lies. The import readers
(portal/spreadsheets) use both; :func:`check_upload` checks stored Office documents the same way.
"""

from __future__ import annotations

import codecs
import re
import uuid
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
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
#: zip packages, checked against the zip limits before they are stored
_PACKAGE_SUFFIXES = (".xlsx", ".docx")
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


# --- Zip packages: limits before and while unpacking -----------------------------------------------------

#: Parts smaller than this unpacked are never refused for their ratio: a nearly empty sheet or a
#: repetitive style table packs a hundredfold and costs nothing.
RATIO_FLOOR = MB
_UNPACK_CHUNK = 64 * 1024


@dataclass(frozen=True)
class ZipLimits:
    entries: int
    entry_bytes: int
    total_bytes: int
    ratio: int

    @classmethod
    def from_settings(cls) -> ZipLimits:
        return cls(
            entries=settings.UPLOAD_ZIP_MAX_ENTRIES,
            entry_bytes=settings.UPLOAD_ZIP_MAX_ENTRY_MB * MB,
            total_bytes=settings.UPLOAD_ZIP_MAX_TOTAL_MB * MB,
            ratio=settings.UPLOAD_ZIP_MAX_RATIO,
        )


class ZipRefused(Exception):
    """A zip package over a limit: ``reason`` is entries, entry, total, ratio or part."""

    def __init__(self, reason: str, *, count: int = 0, limit: int = 0, part: str = "") -> None:
        super().__init__(f"{reason}: {count} > {limit} ({part})")
        self.reason, self.count, self.limit, self.part = reason, count, limit, part

    @property
    def message(self) -> str:
        if self.reason == "entries":
            return _(
                "The file is packed from %(count)d parts; at most %(max)d are accepted. It is not an "
                "ordinary Office file: save it again from Excel or Word and upload it again."
            ) % {"count": self.count, "max": self.limit}
        if self.reason == "ratio":
            return _(
                "A part of the file unpacks to %(ratio)d times its packed size, more than the %(max)d "
                "accepted: it is not an ordinary Office file. Save it again from Excel or Word and upload "
                "it again."
            ) % {"ratio": self.count, "max": self.limit}
        if self.reason == "part":
            return _(
                "A part of the workbook (%(part)s) is larger than in any Excel file. Save it again from "
                "Excel and upload it again."
            ) % {"part": self.part}
        size = {"max": max(1, self.limit // MB)}
        if self.reason == "entry":
            return (
                _(
                    "A part of the file unpacks to more than %(max)d MB; at most %(max)d MB is accepted. "
                    "Split the data over several files."
                )
                % size
            )
        return (
            _(
                "The file unpacks to more than %(max)d MB; at most %(max)d MB is accepted. Split the data over "
                "several files."
            )
            % size
        )


def zip_check(archive: zipfile.ZipFile, limits: ZipLimits | None = None) -> None:
    """Refuse a package by its table of contents (the central directory); nothing is unpacked."""
    limits = limits or ZipLimits.from_settings()
    infos = archive.infolist()
    if len(infos) > limits.entries:
        raise ZipRefused("entries", count=len(infos), limit=limits.entries)
    total = 0
    for info in infos:
        if info.file_size > limits.entry_bytes:
            raise ZipRefused("entry", count=info.file_size, limit=limits.entry_bytes, part=info.filename)
        total += info.file_size
        if total > limits.total_bytes:
            raise ZipRefused("total", count=total, limit=limits.total_bytes)
        if info.file_size > RATIO_FLOOR and info.file_size > limits.ratio * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise ZipRefused("ratio", count=ratio, limit=limits.ratio, part=info.filename)


class ZipBudget:
    """The bytes unpacked from one package so far, part by part (a part read twice counts once)."""

    def __init__(self, limits: ZipLimits | None = None) -> None:
        self.limits = limits or ZipLimits.from_settings()
        self.parts: dict[str, int] = {}
        self.total = 0

    def add(self, part: str, count: int) -> None:
        before = self.parts.get(part, 0)
        if count > before:
            self.parts[part] = count
            self.total += count - before
            if self.total > self.limits.total_bytes:
                raise ZipRefused("total", count=self.total, limit=self.limits.total_bytes)


class ZipReader:
    """A part of a package, unpacked as it is read, with a running count that stops at the limits.

    ``limit`` (default: the per-part limit) may be smaller for a part that is read whole.
    """

    def __init__(self, archive: zipfile.ZipFile, name: str, budget: ZipBudget, limit: int | None = None):
        self.source = archive.open(name)
        self.name, self.budget = name, budget
        self.limit = min(limit or budget.limits.entry_bytes, budget.limits.entry_bytes)
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        room = self.limit + 1 - self.count  # never more than one byte past the limit
        data = self.source.read(room if size is None or size < 0 else min(size, room))
        self.count += len(data)
        if self.count > self.limit:
            reason = "entry" if self.limit == self.budget.limits.entry_bytes else "part"
            raise ZipRefused(reason, count=self.count, limit=self.limit, part=self.name)
        self.budget.add(self.name, self.count)
        return data

    def close(self) -> None:
        self.source.close()

    def __enter__(self) -> ZipReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def zip_unpack_all(archive: zipfile.ZipFile, limits: ZipLimits | None = None) -> None:
    """Unpack every part into nothing, counting: proves the sizes and checksums the directory claims."""
    budget = ZipBudget(limits)
    for info in archive.infolist():
        if info.is_dir():
            continue
        with ZipReader(archive, info.filename, budget) as part:
            while part.read(_UNPACK_CHUNK):
                pass


def _check_package(upload) -> ValidationError | None:
    """A problem of an Office package (XLSX, DOCX) over the limits or damaged, else None."""
    try:
        with zipfile.ZipFile(upload) as archive:
            zip_check(archive)
            zip_unpack_all(archive)
    except ZipRefused as refused:
        return ValidationError(refused.message, code="zip_limits")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError):
        return ValidationError(
            _("The file is damaged and cannot be read. Save it again and upload it again."), code="damaged"
        )
    finally:
        upload.seek(0)
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
        elif suffix in _PACKAGE_SUFFIXES and (package_problem := _check_package(upload)) is not None:
            problem = package_problem
        elif rename:
            upload.name = f"{uuid.uuid4().hex}{suffix}"
        else:
            name = PurePath(getattr(upload, "name", "") or "upload")
            if _ALIASES.get(name.suffix.lower(), name.suffix.lower()) != suffix:
                upload.name = f"{name.stem or 'upload'}{suffix}"
    if problem is not None:
        raise ValidationError({field: [problem]}) if field else problem
    return upload
