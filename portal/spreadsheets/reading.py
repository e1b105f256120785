"""Reading uploaded spreadsheets row by row: XLSX (xlsx.py, openpyxl as a fallback) or CSV (UTF-8, GB18030)."""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import IO
from xml.etree import ElementTree

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.utils.cell import get_column_letter

from portal.uploads import ZipRefused

# How far down a header row may sit (title rows such as "2024年职工名册" above it are common).
HEADER_SEARCH_ROWS = 10
_ENCODING_PROBE = 1 << 20
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 (.xls) and other legacy Office files
_HEADER_NOISE = re.compile(r"[\s*＊:：]+")


class FileProblem(Exception):
    """The file as a whole cannot be read: one message for the clerk, nothing else is checked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def header_key(value: object) -> str:
    """Headers compare after NFKC (full-width letters and brackets), without spaces or a required-mark *."""
    if value is None:
        return ""
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFKC", str(value)))


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass
class Table:
    """An opened file: where its header row is, which of our columns sit where, and its data rows."""

    headers: list[object]
    header_row: int
    #: column key -> position in a row
    positions: dict[str, int]
    rows: Iterator[tuple[int, Sequence[object]]]
    estimated_rows: int | None = None
    _closers: list = field(default_factory=list)

    def close(self) -> None:
        for close in self._closers:
            close()


def _kind_of(head: bytes, file_name: str) -> str:
    suffix = PurePath(file_name or "").suffix.lower()
    if not head:
        raise FileProblem(_("The file is empty. Upload the template filled in with at least one row."))
    if head.startswith(_XLSX_MAGIC):
        return "xlsx"
    if head.startswith(_OLE_MAGIC):
        raise FileProblem(
            _(
                "This is an old Excel 97-2003 file (.xls). Save it as an Excel workbook (.xlsx) or as CSV "
                "and upload it again."
            )
        )
    if suffix in {".xlsx", ".xlsm"}:
        raise FileProblem(
            _("The file is named .xlsx but is not an Excel workbook. Save it again from Excel.")
        )
    if suffix not in {".csv", ".txt", ""}:
        raise FileProblem(wrong_type_message())
    return "csv"


def wrong_type_message() -> str:
    return _("Upload an Excel workbook (.xlsx) or a CSV file (.csv); this file is neither.")


def open_table(stream: IO[bytes], file_name: str, columns: Sequence[tuple[str, str, bool]]) -> Table:
    """Open ``stream`` and find the header row; ``columns`` are (key, header, required) of the format.

    Raises FileProblem for a wrong type, an empty file or missing required headers.
    """
    stream.seek(0)
    head = stream.read(8)
    stream.seek(0)
    kind = _kind_of(head, file_name)
    if kind == "xlsx":
        rows, estimated, closers = _xlsx_rows(stream)
    else:
        rows, estimated, closers = _csv_rows(stream)
    rows = _cells_within_limit(rows, settings.UPLOAD_CELL_MAX_CHARS)
    try:
        return _find_header(rows, columns, estimated, closers)
    except Exception:
        for close in closers:
            close()
        raise


def _find_header(rows, columns, estimated, closers) -> Table:
    wanted = {header_key(header): key for key, header, _required in columns}
    required = [(key, header) for key, header, is_required in columns if is_required]
    best: tuple[int, list[object], dict[str, int]] | None = None
    seen_any = False
    for row_number, cells in rows:
        if all(is_blank(c) for c in cells):
            continue
        seen_any = True
        positions: dict[str, int] = {}
        for index, cell in enumerate(cells):
            key = wanted.get(header_key(cell))
            if key is not None and key not in positions:
                positions[key] = index
        if best is None or len(positions) > len(best[2]):
            best = (row_number, list(cells), positions)
        if all(key in positions for key, _header in required):
            remaining = None if estimated is None else max(0, estimated - row_number)
            return Table(list(cells), row_number, positions, rows, remaining, closers)
        if row_number >= HEADER_SEARCH_ROWS:
            break
    if not seen_any:
        raise FileProblem(_("The file is empty. Upload the template filled in with at least one row."))
    found = best[2] if best else {}
    missing = [header for key, header in required if key not in found]
    raise FileProblem(
        _(
            "The header row must contain the columns %(expected)s; missing: %(missing)s. Download the "
            "template to see the expected headers."
        )
        % {
            "expected": "、".join(header for _key, header, _required in columns),
            "missing": "、".join(missing),
        }
    )


# --- XLSX -----------------------------------------------------------------------------------------------


# What a damaged or hand-made workbook raises while it is read: a broken zip or deflate stream (a
# download cut short), a missing part, a value that is not what its cell type says (ValueError covers
# UnicodeDecodeError).
_DAMAGED = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    KeyError,
    IndexError,
    ValueError,
    ElementTree.ParseError,
)


def damaged_message() -> str:
    return _(
        "The workbook is damaged and cannot be read (perhaps the download was incomplete). Open it in "
        "Excel, save it again and upload it again."
    )


def row_too_large_message(row: int) -> str:
    return _(
        "Row %(row)d is larger than %(max)d KB, more than any row of ours can hold (perhaps it is never "
        "closed). Check the row, save the file again and upload it again."
    ) % {"row": row, "max": settings.UPLOAD_ROW_MAX_KB}


def cell_too_large_message(row: int, column: str, length: int) -> str:
    return _(
        "Row %(row)d, column %(column)s holds %(length)d characters; a cell may hold at most %(max)d."
    ) % {"row": row, "column": column, "length": length, "max": settings.UPLOAD_CELL_MAX_CHARS}


def _cells_within_limit(rows, limit: int):
    """The rows, or a FileProblem naming the first row with a cell longer than ``limit`` characters."""
    for number, cells in rows:
        for index, value in enumerate(cells):
            if type(value) is str and len(value) > limit:
                raise FileProblem(cell_too_large_message(number, get_column_letter(index + 1), len(value)))
        yield number, cells


# openpyxl (the fallback) holds styles and shared strings whole and builds each row as a tree: only a
# workbook this small all told may go to it.
OPENPYXL_MAX_BYTES = 16 << 20


def _xlsx_rows(stream):
    from portal.spreadsheets.xlsx import Refused, RowTooLarge, Unsupported, XlsxBook

    try:
        try:
            book = XlsxBook(stream)
        except Refused:
            raise FileProblem(wrong_type_message()) from None
        except Unsupported:
            stream.seek(0)
            if not _small_enough_for_openpyxl(stream):
                raise FileProblem(damaged_message()) from None
            rows, estimated, closers = _openpyxl_rows(stream)
        else:
            closers = [book.close]
            try:
                estimated = book.estimated_rows()
            except (*_DAMAGED, ZipRefused):
                book.close()
                raise
            rows = book.rows()
    except ZipRefused as refused:
        raise FileProblem(refused.message) from None
    except RowTooLarge as exc:
        raise FileProblem(row_too_large_message(exc.row)) from None
    except _DAMAGED:
        raise FileProblem(damaged_message()) from None
    return _undamaged(rows), estimated, closers


def _small_enough_for_openpyxl(stream) -> bool:
    try:
        with zipfile.ZipFile(stream) as archive:
            return sum(info.file_size for info in archive.infolist()) <= OPENPYXL_MAX_BYTES
    except zipfile.BadZipFile:
        return True  # openpyxl says what is wrong with it
    finally:
        stream.seek(0)


def _undamaged(rows):
    """The rows, or a FileProblem when the damage (or a row too large) shows only further down the sheet."""
    from portal.spreadsheets.xlsx import RowTooLarge

    try:
        yield from rows
    except ZipRefused as refused:
        raise FileProblem(refused.message) from None
    except RowTooLarge as exc:
        raise FileProblem(row_too_large_message(exc.row)) from None
    except _DAMAGED:
        raise FileProblem(damaged_message()) from None


def _openpyxl_rows(stream):
    """openpyxl's read-only reader, for a workbook our fast reader (xlsx.py) does not understand."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        # A zip that is not a workbook (.docx, a broken download).
        raise FileProblem(wrong_type_message()) from None
    if not book.worksheets:
        book.close()
        raise FileProblem(_("The file is empty. Upload the template filled in with at least one row."))
    # The first sheet holds the data; the template's rules sheet comes second.
    sheet = book.worksheets[0]
    estimated = sheet.max_row if isinstance(sheet.max_row, int) and sheet.max_row > 1 else None
    return enumerate(sheet.iter_rows(values_only=True), start=1), estimated, [book.close]


# --- CSV ------------------------------------------------------------------------------------------------


def detect_encoding(stream: IO[bytes]) -> str:
    """UTF-8 (with or without BOM) if every byte decodes, else GB18030 (Chinese Excel's "CSV")."""
    stream.seek(0)
    start = stream.read(4)
    stream.seek(0)
    if start.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text" export
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(_ENCODING_PROBE):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "gb18030"
    stream.seek(0)
    return encoding


def _not_text() -> FileProblem:
    return FileProblem(
        _("The file is not text in UTF-8 or GB18030. Save it from Excel as CSV (UTF-8) or as .xlsx.")
    )


class _RowTooLong(Exception):
    pass


class _BoundedLines:
    """The lines of a text stream for csv.reader, none longer than ``limit`` characters, nor the lines
    of one record together (a quote that never closes): the reader never holds more than that."""

    def __init__(self, text, limit: int) -> None:
        self.text, self.limit, self.pending = text, limit, 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self.text.readline(self.limit + 1)
        if not line:
            raise StopIteration
        self.pending += len(line)
        if self.pending > self.limit:
            raise _RowTooLong
        return line


def _csv_rows(stream):
    encoding = detect_encoding(stream)
    text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
    try:
        sample = text.read(64 * 1024)
        if "\x00" in sample:
            raise FileProblem(wrong_type_message())
        # A cheap bound for the background threshold: data rows are at most the line count. The same
        # pass looks for NUL past the sample: no text file holds one, and PostgreSQL refuses it in text.
        text.seek(0)
        lines = 0
        for chunk in iter(lambda: text.read(_ENCODING_PROBE), ""):
            if "\x00" in chunk:
                raise FileProblem(wrong_type_message())
            lines += chunk.count("\n")
        text.seek(0)
    except UnicodeDecodeError:
        text.detach()  # leave the caller's stream open
        raise _not_text() from None
    except FileProblem:
        text.detach()
        raise
    first_line = sample.split("\n", 1)[0]
    delimiter = max(",\t;", key=first_line.count) if first_line else ","
    if first_line.count(delimiter) == 0:
        delimiter = ","
    bounded = _BoundedLines(text, settings.UPLOAD_ROW_MAX_KB * 1024)
    reader = csv.reader(bounded, delimiter=delimiter)

    def rows():
        number = 0
        try:
            for number, cells in enumerate(reader, start=1):
                bounded.pending = 0
                yield number, cells
        except UnicodeDecodeError:
            raise _not_text() from None
        except _RowTooLong:
            raise FileProblem(row_too_large_message(number + 1)) from None
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                # A quote that never closes swallows the rest of the file into one field.
                raise FileProblem(row_too_large_message(number + 1)) from None
            raise FileProblem(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from None

    return rows(), lines, [text.detach]
