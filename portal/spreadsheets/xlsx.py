"""Reading the first sheet of an XLSX workbook as a stream of rows, fast and in little memory.

openpyxl's read-only mode costs about 60 µs a row of ten cells here (more than every check of the row
together), reads Excel's shared-string table into a list of Python strings, and scans a whole sheet
that lacks a <dimension> once more before the first row. This module reads the same parts with
regular expressions over the XML as it is decompressed: the workbook's first sheet, the styles that
show dates (openpyxl's own date-format rules decide), the shared strings (kept as UTF-8 in a temporary
file, their offsets in another), then the rows. Values come out as openpyxl's would: int or float,
datetime for date-styled numbers, bool, shared and inline strings, the cached result of a formula.
A workbook it cannot make sense of raises Unsupported, and the caller falls back to openpyxl.

Memory stays bounded whatever the file holds (issue 15: a styles part unpacking to 800 MB took a web
worker to 2.5 GB; a row that never closed ran until the worker was killed). The package is checked
against the zip limits before anything is unpacked, and every part is unpacked through a counting
reader (portal.uploads); styles, shared strings and sheets are scanned piece by piece, never held
whole; one row, one shared string or one style element bigger than ``row_max_bytes`` is refused
(RowTooLarge names the row); the few parts read whole (relationships, the workbook) are capped small.
"""

from __future__ import annotations

import codecs
import html
import mmap
import posixpath
import re
import tempfile
import zipfile
from array import array
from collections.abc import Iterator
from xml.etree import ElementTree

from django.conf import settings
from openpyxl.styles.numbers import builtin_format_code, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

from portal.uploads import ZipBudget, ZipLimits, ZipReader, ZipRefused, zip_check

_READ_SIZE = 1 << 18
# Relationships and the workbook part are parsed whole; real ones are a few KB.
WHOLE_PART_MAX_BYTES = 4 << 20
# Excel allows 64,000 cell formats in a workbook (and some 250 number formats); more is not a workbook.
MAX_STYLES = 65_536
# A tag cut between two reads is kept for the next read; nothing longer is needed to find one again.
_TAIL = 64
_ROW = re.compile(r"<(?:\w+:)?row\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?row>)", re.S)
_CELL = re.compile(r"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_STRING_ITEM = re.compile(r"<(?:\w+:)?si\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?si>)", re.S)
_ROW_NUMBER = re.compile(r"\br\s*=\s*[\"'](\d+)")
_REFERENCE = re.compile(r"\br\s*=\s*[\"']([A-Z]+)")
_TYPE = re.compile(r"\bt\s*=\s*[\"'](\w+)")
_STYLE = re.compile(r"\bs\s*=\s*[\"'](\d+)")
_VALUE = re.compile(r"<(?:\w+:)?v(?:\s[^>]*)?>(.*?)</(?:\w+:)?v>", re.S)
_TEXT = re.compile(r"<(?:\w+:)?t(?:\s[^>]*)?>(.*?)</(?:\w+:)?t>", re.S)
_PHONETIC = re.compile(r"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
_DIMENSION = re.compile(r"<(?:\w+:)?dimension\s+ref\s*=\s*[\"'][A-Z]*\d*:?[A-Z]*(\d+)[\"']")
_ROW_OPENING = re.compile(r"<(?:\w+:)?row\b")
_STRING_OPENING = re.compile(r"<(?:\w+:)?si\b")
_STYLE_TAG = re.compile(r"<(/?)(?:\w+:)?(numFmts|numFmt|cellXfs|cellStyleXfs|dxfs|xf)\b([^>]*)>")
_STYLE_OPENING = re.compile(r"</?(?:\w+:)?(?:numFmts|numFmt|cellXfs|cellStyleXfs|dxfs|xf)\b")
_NUMBER_FORMAT_ID = re.compile(r"\bnumFmtId\s*=\s*[\"'](\d+)")
_FORMAT_CODE = re.compile(r"\bformatCode\s*=\s*([\"'])(.*?)\1", re.S)


class Unsupported(Exception):
    """Not a workbook this reader understands (the caller tries openpyxl)."""


class Refused(Exception):
    """A workbook part declares a DTD: never in a real workbook, the shape of an entity-expansion attack."""


class RowTooLarge(Exception):
    """A row whose XML is bigger than the limit, or that never closes: ``row`` is its number."""

    def __init__(self, row: int, limit: int) -> None:
        super().__init__(f"row {row} is larger than {limit} bytes")
        self.row, self.limit = row, limit


class _ItemTooLarge(Exception):
    def __init__(self, head: str) -> None:
        super().__init__(head[:80])
        self.head = head


def row_max_bytes() -> int:
    return settings.UPLOAD_ROW_MAX_KB * 1024


def _parse(data: bytes) -> ElementTree.Element:
    # Refusing any DTD leaves nothing for entity expansion or external entities to work with.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise Refused
    return ElementTree.fromstring(data)  # noqa: S314 (no DTD, see above)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _unescape(text: str) -> str:
    return html.unescape(text) if "&" in text else text


def _chunks(source) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8")()
    while True:
        chunk = source.read(_READ_SIZE)
        yield decoder.decode(chunk, final=not chunk)
        if not chunk:
            return


def _items(source, pattern: re.Pattern, opening: re.Pattern, limit: int) -> Iterator[re.Match]:
    """Matches of ``pattern`` in an XML part read piece by piece (a match never spans two reads).

    What is left after the last match is kept only from the next ``opening`` on (else a short tail), and
    an item longer than ``limit`` characters, complete or not, raises _ItemTooLarge: memory stays
    bounded by the limit and one read, whatever the part holds.
    """
    buffer = ""
    for text in _chunks(source):
        buffer += text
        end = 0
        for match in pattern.finditer(buffer):
            if match.end() - match.start() > limit:
                raise _ItemTooLarge(match.group(0)[:200])
            end = match.end()
            yield match
        buffer = buffer[end:]
        if len(buffer) > limit:
            start = opening.search(buffer)
            if start is None:
                buffer = buffer[-_TAIL:]
            elif len(buffer) - start.start() > limit:
                raise _ItemTooLarge(buffer[start.start() : start.start() + 200])
            else:
                buffer = buffer[start.start() :]


def _inline_text(content: str) -> str:
    if content.startswith("<t>") and content.endswith("</t>") and content.count("<") == 2:
        return _unescape(content[3:-4])
    if "rPh" in content:
        content = _PHONETIC.sub("", content)  # phonetic guides (furigana) are not part of the value
    return _unescape("".join(_TEXT.findall(content)))


class SharedStrings:
    """Excel's table of distinct strings, as UTF-8 in a temporary file, their offsets in another: memory
    stays flat however many strings a workbook holds (both files are mapped, not read)."""

    def __init__(self, source, *, limit: int) -> None:
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self.offsets_file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        offsets = array("q", [0])
        position = 0
        for match in _items(source, _STRING_ITEM, _STRING_OPENING, limit):
            data = _inline_text(match.group(1) or "").encode()
            self.file.write(data)
            position += len(data)
            offsets.append(position)
            if len(offsets) >= 65_536:
                offsets.tofile(self.offsets_file)
                offsets = array("q")
        offsets.tofile(self.offsets_file)
        self.file.flush()
        self.offsets_file.flush()
        self.map = mmap.mmap(self.file.fileno(), 0, access=mmap.ACCESS_READ) if position else b""
        self.offsets_map = mmap.mmap(self.offsets_file.fileno(), 0, access=mmap.ACCESS_READ)
        self.offsets = memoryview(self.offsets_map).cast("q")

    def __getitem__(self, index: int) -> str:
        if not 0 <= index < len(self.offsets) - 1:
            raise IndexError(index)
        return self.map[self.offsets[index] : self.offsets[index + 1]].decode()

    def close(self) -> None:
        self.offsets.release()
        self.offsets_map.close()
        if isinstance(self.map, mmap.mmap):
            self.map.close()
        self.file.close()
        self.offsets_file.close()


class XlsxBook:
    """The first worksheet of a workbook: rows(), and the row count its <dimension> claims."""

    def __init__(self, stream, *, limits: ZipLimits | None = None, row_limit: int | None = None) -> None:
        try:
            self.archive = zipfile.ZipFile(stream)
        except zipfile.BadZipFile:
            raise Unsupported("not a zip file") from None
        self.shared: SharedStrings | list = []
        self.row_limit = row_limit or row_max_bytes()
        try:
            # The table of contents first: a zip bomb is refused before a byte of it is unpacked.
            zip_check(self.archive, limits)
            self.budget = ZipBudget(limits)
            self._open()
        except (Refused, ZipRefused):
            self.close()
            raise
        except _ItemTooLarge:
            self.close()
            raise ZipRefused("part", part="xl/sharedStrings.xml") from None
        except (KeyError, IndexError, StopIteration, ElementTree.ParseError, ValueError) as exc:
            self.close()
            raise Unsupported(str(exc)) from exc

    def _part(self, path: str, limit: int | None = None) -> ZipReader:
        return ZipReader(self.archive, path, self.budget, limit)

    def _read_whole(self, path: str) -> bytes:
        with self._part(path, WHOLE_PART_MAX_BYTES) as part:
            return part.read()

    def _relationships(self, part: str) -> dict[str | None, tuple[str, str]]:
        folder, name = posixpath.split(part)
        rels = posixpath.join(folder, "_rels", f"{name}.rels")
        found: dict[str | None, tuple[str, str]] = {}
        for item in _parse(self._read_whole(rels)):
            target = item.get("Target", "")
            path = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join(folder, target))
            )
            found[item.get("Id")] = (item.get("Type", "").rsplit("/", 1)[-1], path)
        return found

    def _open(self) -> None:
        package = self._relationships("")
        workbook = next(path for kind, path in package.values() if kind == "officeDocument")
        parts = self._relationships(workbook)
        root = _parse(self._read_whole(workbook))
        first_sheet = None
        self.epoch = CALENDAR_WINDOWS_1900
        for element in root.iter():
            name = _local(element.tag)
            if name == "workbookPr" and element.get("date1904") in ("1", "true"):
                self.epoch = CALENDAR_MAC_1904
            elif name == "sheet" and first_sheet is None:
                relation = next(v for k, v in element.attrib.items() if _local(k) == "id")
                first_sheet = parts[relation][1]
        if first_sheet is None:
            raise KeyError("no worksheet")
        self.sheet_path = first_sheet
        by_kind = {kind: path for kind, path in parts.values()}
        self.date_styles = self._date_styles(by_kind.get("styles"))
        if "sharedStrings" in by_kind:
            with self._part(by_kind["sharedStrings"]) as source:
                self.shared = SharedStrings(source, limit=self.row_limit)

    def _date_styles(self, path: str | None) -> set[int]:
        """The cell formats (cellXfs positions) that show dates, read piece by piece.

        Only two things of the style sheet matter: the custom number formats and, in order, the number
        format of each cell format. Fonts, fills, borders and the rest are skipped as they stream past.
        """
        if path is None or path not in self.archive.namelist():
            return set()
        custom: dict[int, str] = {}
        styles: list[int] = []
        section = None
        with self._part(path) as source:
            try:
                for match in _items(source, _STYLE_TAG, _STYLE_OPENING, self.row_limit):
                    closing, name, attributes = match.groups()
                    if name in ("numFmts", "cellXfs", "cellStyleXfs", "dxfs"):
                        section = None if closing or attributes.rstrip().endswith("/") else name
                    elif name == "numFmt" and section == "numFmts" and not closing:
                        found = _NUMBER_FORMAT_ID.search(attributes)
                        code = _FORMAT_CODE.search(attributes)
                        if found:
                            custom[int(found.group(1))] = _unescape(code.group(2)) if code else ""
                    elif name == "xf" and section == "cellXfs" and not closing:
                        found = _NUMBER_FORMAT_ID.search(attributes)
                        styles.append(int(found.group(1)) if found else 0)
                    if len(styles) > MAX_STYLES or len(custom) > MAX_STYLES:
                        raise ZipRefused("part", part=path)
            except _ItemTooLarge:
                raise ZipRefused("part", part=path) from None
        # The same rule as openpyxl's stylesheet: a custom code first, else the built-in one.
        return {
            index
            for index, number_format in enumerate(styles)
            if (format_code := custom.get(number_format) or builtin_format_code(number_format))
            and is_date_format(format_code)
        }

    def estimated_rows(self) -> int | None:
        """The last row the sheet's <dimension> names, else a count of its rows (one quick pass)."""
        with self._part(self.sheet_path) as source:
            head = source.read(4096).decode("utf-8", "ignore")
            found = _DIMENSION.search(head)
            if found and int(found.group(1)) > 1:
                return int(found.group(1))
            count, tail = head.count("<row"), b""
            last = head.rfind("<row")
            gap = len(head) - last if last >= 0 else len(head)
            while chunk := source.read(_READ_SIZE):
                data = tail + chunk
                if (last := data.rfind(b"<row")) >= 0:
                    count += data.count(b"<row")
                    gap = len(data) - last
                else:
                    gap += len(chunk)
                if b"</sheetData" in data or gap > self.row_limit:
                    # The rows end here; or one runs on past the limit, which rows() then reports by number.
                    break
                tail = chunk[-3:]
            return count or None

    def rows(self) -> Iterator[tuple[int, list[object]]]:
        with self._part(self.sheet_path) as source:
            number = 0
            try:
                for match in _items(source, _ROW, _ROW_OPENING, self.row_limit):
                    found = _ROW_NUMBER.search(match.group(1))
                    number = int(found.group(1)) if found else number + 1
                    yield number, self._cells(match.group(2) or "")
            except _ItemTooLarge as exc:
                found = _ROW_NUMBER.search(exc.head.split(">", 1)[0])
                raise RowTooLarge(int(found.group(1)) if found else number + 1, self.row_limit) from None

    def close(self) -> None:
        if isinstance(self.shared, SharedStrings):
            self.shared.close()
        self.archive.close()

    # --- cells ---------------------------------------------------------------------------------------

    _columns: dict[str, int] = {}

    def _column(self, letters: str) -> int:
        index = self._columns.get(letters)
        if index is None:
            index = -1
            for char in letters:
                index = (index + 1) * 26 + ord(char) - 65
            self._columns[letters] = index
        return index

    def _cells(self, text: str) -> list[object]:
        values: list[object] = []
        for match in _CELL.finditer(text):
            attributes, content = match.groups()
            reference = _REFERENCE.search(attributes)
            position = self._column(reference.group(1)) if reference else len(values)
            if position < len(values):
                continue  # a malformed repeat of a cell: keep the first
            if position > len(values):
                values.extend([None] * (position - len(values)))
            values.append(self._value(attributes, content) if content else None)
        return values

    def _value(self, attributes: str, content: str) -> object:
        found = _TYPE.search(attributes) if "t" in attributes else None
        kind = found.group(1) if found else "n"
        if kind == "inlineStr":
            inner = content[4:-5] if content.startswith("<is>") and content.endswith("</is>") else content
            return _inline_text(inner) or None
        if content.startswith("<v>") and content.endswith("</v>") and content.count("<") == 2:
            raw = content[3:-4]
        else:
            value = _VALUE.search(content)
            raw = value.group(1) if value else ""
        if not raw:
            return None
        if kind == "n":
            number = float(raw) if ("." in raw or "E" in raw or "e" in raw) else int(raw)
            style = _STYLE.search(attributes)
            if style and int(style.group(1)) in self.date_styles:
                try:
                    return from_excel(number, self.epoch)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        if kind == "s":
            return self.shared[int(raw)]
        if kind == "b":
            return raw.strip() == "1"
        if kind == "d":
            return from_ISO8601(raw)
        return _unescape(raw)  # "str" (a formula's text result), "e" (an error such as #N/A)
