"""Reading the first sheet of an XLSX workbook as a stream of rows, fast and in little memory.

openpyxl's read-only mode costs about 60 µs a row of ten cells here (more than every check of the row
together), reads Excel's shared-string table into a list of Python strings, and scans a whole sheet
that lacks a <dimension> once more before the first row. This module reads the same parts with
regular expressions over the XML as it is decompressed: the workbook's first sheet, the styles that
show dates (openpyxl's own date-format rules decide), the shared strings (kept as UTF-8 in a temporary
file plus 8 bytes of offset each), then the rows. Values come out as openpyxl's would: int or float,
datetime for date-styled numbers, bool, shared and inline strings, the cached result of a formula.
A workbook it cannot make sense of raises Unsupported, and the caller falls back to openpyxl.
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

from openpyxl.styles.numbers import builtin_format_code, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

_READ_SIZE = 1 << 18
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


class Unsupported(Exception):
    """Not a workbook this reader understands (the caller tries openpyxl)."""


class Refused(Exception):
    """A workbook part declares a DTD: never in a real workbook, the shape of an entity-expansion attack."""


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


def _items(source, pattern: re.Pattern) -> Iterator[re.Match]:
    """Matches of ``pattern`` in an XML part read piece by piece (a match never spans two reads)."""
    buffer = ""
    for text in _chunks(source):
        buffer += text
        end = 0
        for match in pattern.finditer(buffer):
            end = match.end()
            yield match
        buffer = buffer[end:]


def _inline_text(content: str) -> str:
    if content.startswith("<t>") and content.endswith("</t>") and content.count("<") == 2:
        return _unescape(content[3:-4])
    if "rPh" in content:
        content = _PHONETIC.sub("", content)  # phonetic guides (furigana) are not part of the value
    return _unescape("".join(_TEXT.findall(content)))


class SharedStrings:
    """Excel's table of distinct strings, as UTF-8 in a temporary file: 8 bytes of memory per string."""

    def __init__(self, source) -> None:
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self.offsets = array("q", [0])
        position = 0
        for match in _items(source, _STRING_ITEM):
            data = _inline_text(match.group(1) or "").encode()
            self.file.write(data)
            position += len(data)
            self.offsets.append(position)
        self.file.flush()
        self.map = mmap.mmap(self.file.fileno(), 0, access=mmap.ACCESS_READ) if position else b""

    def __getitem__(self, index: int) -> str:
        return self.map[self.offsets[index] : self.offsets[index + 1]].decode()

    def close(self) -> None:
        if isinstance(self.map, mmap.mmap):
            self.map.close()
        self.file.close()


class XlsxBook:
    """The first worksheet of a workbook: rows(), and the row count its <dimension> claims."""

    def __init__(self, stream) -> None:
        try:
            self.archive = zipfile.ZipFile(stream)
        except zipfile.BadZipFile:
            raise Unsupported("not a zip file") from None
        self.shared: SharedStrings | list = []
        try:
            self._open()
        except Refused:
            self.close()
            raise
        except (KeyError, IndexError, StopIteration, ElementTree.ParseError, ValueError) as exc:
            self.close()
            raise Unsupported(str(exc)) from exc

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        folder, name = posixpath.split(part)
        rels = posixpath.join(folder, "_rels", f"{name}.rels")
        found = {}
        for item in _parse(self.archive.read(rels)):
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
        root = _parse(self.archive.read(workbook))
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
            with self.archive.open(by_kind["sharedStrings"]) as source:
                self.shared = SharedStrings(source)

    def _date_styles(self, path: str | None) -> set[int]:
        if path is None or path not in self.archive.namelist():
            return set()
        root = _parse(self.archive.read(path))
        custom, styles = {}, []
        for element in root:
            name = _local(element.tag)
            if name == "numFmts":
                custom = {int(f.get("numFmtId")): f.get("formatCode", "") for f in element}
            elif name == "cellXfs":
                styles = [int(xf.get("numFmtId", 0)) for xf in element]
        # The same rule as openpyxl's stylesheet: a custom code first, else the built-in one.
        return {
            index
            for index, number_format in enumerate(styles)
            if (code := custom.get(number_format) or builtin_format_code(number_format))
            and is_date_format(code)
        }

    def estimated_rows(self) -> int | None:
        """The last row the sheet's <dimension> names, else a count of its rows (one quick pass)."""
        with self.archive.open(self.sheet_path) as source:
            head = source.read(4096).decode("utf-8", "ignore")
            found = _DIMENSION.search(head)
            if found and int(found.group(1)) > 1:
                return int(found.group(1))
            count, tail = head.count("<row"), b""
            while chunk := source.read(_READ_SIZE):
                count += (tail + chunk).count(b"<row")
                tail = chunk[-3:]
            return count or None

    def rows(self) -> Iterator[tuple[int, list[object]]]:
        with self.archive.open(self.sheet_path) as source:
            number = 0
            for match in _items(source, _ROW):
                found = _ROW_NUMBER.search(match.group(1))
                number = int(found.group(1)) if found else number + 1
                yield number, self._cells(match.group(2) or "")

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
