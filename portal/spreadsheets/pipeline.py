"""The import pipeline every registry format shares: check in chunks, then write everything in one transaction.

Check: rows stream from the file in chunks; each row goes through the registry's normalisers and
validators (Importer.parse), then each chunk is checked against the database with a query or two
(Importer.plan: unknown keys, existing rows, scope). Bad rows go straight to the error report (an
XLSX written as it goes), good rows are pickled to a temporary file. Write: the temporary file is
read back chunk by chunk inside ONE transaction, each chunk planned again under row locks and written
in bulk, and one audit event records the import. A process killed at any point before the commit
leaves nothing of the import; a re-run finds the rows already there and changes nothing.

Memory: one chunk of rows; the first errors and preview rows; lookups cached for the file (its
enterprises); each importer's within-file duplicate index (about 100 bytes a row); and, for an XLSX
saved by Excel, openpyxl's table of the file's distinct strings. Never the rows themselves.
"""

from __future__ import annotations

import pickle
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, ClassVar, NamedTuple, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from portal.access import Level, Scope, as_scope
from portal.audit import audit_record
from portal.spreadsheets.cells import message_of
from portal.spreadsheets.columns import (
    TEXT_FORMAT,
    Column,
    PortalResource,
    escape_formula,
    lay_out_columns,
    sheet_title,
)
from portal.spreadsheets.reading import FileProblem, is_blank, open_table

CHUNK_ROWS = 2000
PREVIEW_ROWS = 20
SHOWN_ERRORS = 200
ERROR_COLUMN = "错误"
SYSTEM_SCOPE = Scope(Level.CITY, can_write=True)

NEW, UPDATE, SAME = "new", "update", "same"


def action_label(action: str) -> str:
    return {NEW: _("New"), UPDATE: _("Update"), SAME: _("Unchanged")}[action]


class RegistryChanged(Exception):
    """Rows that passed the check failed when written (another clerk changed them meanwhile)."""


@dataclass
class Planned:
    """What the write will do with one good row."""

    record: Any
    action: str
    changes: tuple[str, ...] = ()
    #: the locked existing row, or other context the write needs
    target: Any = None
    extra: Any = None


class RowError(NamedTuple):
    row: int
    column: str
    message: str


class Importer:
    """One spreadsheet format of the registry: parse a row, plan and write a chunk."""

    key: ClassVar[str]
    resource_class: ClassVar[type[PortalResource]]
    audit_action: ClassVar[str]

    def __init__(self, *, user=None, today=None) -> None:
        self.user = user
        self.scope = SYSTEM_SCOPE if user is None else as_scope(user)
        self.today = today or timezone.localdate()
        self.resource = self.resource_class()
        self.columns = {name: cast(Column, f) for name, f in self.resource.fields.items() if not f.readonly}

    # --- the format -----------------------------------------------------------------------------------

    def column_specs(self) -> list[tuple[str, str, bool]]:
        return [(name, f.column_name, f.required) for name, f in self.columns.items()]

    def header(self, key: str) -> str:
        return self.columns[key].column_name

    def can_write_district(self, district_id: int | None) -> bool:
        return self.scope.can_write and self.scope.covers_district(district_id)

    # --- per row and per chunk, implemented by each format ----------------------------------------------

    def parse(self, row: int, values: dict[str, object]) -> tuple[Any, list[tuple[str, str]]]:
        raise NotImplementedError

    def plan(self, records: list, *, lock: bool) -> tuple[list[Planned], list[RowError]]:
        raise NotImplementedError

    def write(self, planned: list[Planned]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """After the last chunk, inside the transaction (derived values such as skill levels)."""

    def preview_headers(self) -> list[str]:
        raise NotImplementedError

    def preview_row(self, planned: Planned) -> list[str]:
        raise NotImplementedError

    # --- helpers for parse ---------------------------------------------------------------------------

    @staticmethod
    def take(errors: list, key: str, parse: Callable[[object], Any], raw: object, *, required: bool = False):
        """parse(raw), or None after noting the error; a blank optional cell is None (keep / default)."""
        if is_blank(raw):
            if required:
                errors.append((key, _("This column is required.")))
            return None
        try:
            return parse(raw)
        except ValidationError as exc:
            errors.append((key, message_of(exc)))
            return None


@dataclass
class Outcome:
    """What a check or an import found and did; the job and the preview page show it."""

    file_name: str
    valid_only: bool = False
    total: int = 0
    bad: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    #: rows the write changed (new and updated): an unchanged row is not written
    written: int = 0
    #: rows the write has been through so far, unchanged ones included (its progress)
    processed: int = 0
    rejected: bool = False
    committed: bool = False
    errors: list[RowError] = field(default_factory=list)
    preview_headers: list[str] = field(default_factory=list)
    preview_rows: list[list[str]] = field(default_factory=list)
    report: IO[bytes] | None = None
    check_seconds: float = 0.0
    write_seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        return {
            "total": self.total,
            "checked": self.total,
            "bad": self.bad,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "written": self.written,
        }

    def as_json(self) -> dict:
        return {
            **self.counts(),
            "file_name": self.file_name,
            "valid_only": self.valid_only,
            "rejected": self.rejected,
            "committed": self.committed,
            "errors": [list(e) for e in self.errors],
            "preview_headers": self.preview_headers,
            "preview_rows": self.preview_rows,
            "seconds": {"check": round(self.check_seconds, 3), "write": round(self.write_seconds, 3)},
        }


class ErrorReport:
    """The bad rows as they were in the file, plus an 错误 column; written as the check goes.

    ``text_positions``: the file's columns of long numbers (ID numbers, accounts), kept as text in Excel.
    """

    def __init__(self, headers: list[object], *, text_positions: Iterable[int] = ()) -> None:
        self.headers = headers
        self.width = len(headers)
        self.text_positions = frozenset(text_positions)
        self.rows = 0
        self.sheet: Any = None  # a write-only worksheet, made at the first bad row

    def add(self, row: int, cells, messages: str) -> None:
        if self.sheet is None:
            # Made at the first bad row: a clean file costs no workbook.
            self.book = Workbook(write_only=True)
            self.sheet = self.book.create_sheet(sheet_title(_("Error report")))
            layout = [(str(h or ""), i in self.text_positions) for i, h in enumerate(self.headers)]
            lay_out_columns(self.sheet, [*layout, (ERROR_COLUMN, False)])
            self.sheet.column_dimensions[get_column_letter(self.width + 1)].width = 60
            self.sheet.append([_cell(h) for h in self.headers] + [ERROR_COLUMN])
        values = list(cells[: self.width]) + [None] * (self.width - len(cells))
        text = _("Row %(row)d: %(errors)s") % {"row": row, "errors": messages}
        self.sheet.append([self._value(i, v) for i, v in enumerate(values)] + [_cell(text)])
        self.rows += 1

    def _value(self, position: int, value: object) -> object:
        if position not in self.text_positions or value is None:
            return _cell(value)
        cell = WriteOnlyCell(self.sheet, value=cast(Any, _cell(value)))
        cell.number_format = TEXT_FORMAT
        return cell

    def save(self) -> IO[bytes]:
        out = tempfile.TemporaryFile()  # noqa: SIM115 (the caller stores and closes it)
        self.book.save(out)
        out.seek(0)
        return out


def _cell(value: object) -> object:
    if isinstance(value, str):
        return escape_formula(ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", value))
    return value


def _has_data(cells) -> bool:
    for cell in cells:
        if cell is not None and cell != "" and not (isinstance(cell, str) and cell.isspace()):
            return True
    return False


def _data_rows(rows: Iterable[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
    for number, cells in rows:
        if _has_data(cells):
            yield number, cells


def _chunks(rows: Iterator, size: int) -> Iterator[list]:
    chunk = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run_import(
    importer: Importer,
    stream: IO[bytes],
    file_name: str,
    *,
    write: bool,
    valid_only: bool = False,
    on_progress: Callable[[dict], None] | None = None,
    job_id: int | None = None,
) -> Outcome:
    """Check the whole file; then, if ``write`` and it may be written, write it in one transaction.

    Raises reading.FileProblem for a file that cannot be read at all, RegistryChanged when rows
    fail at write time that passed the check (and valid_only is off), PermissionDenied for a user
    without write scope (officials).
    """
    if not importer.scope.can_write:
        raise PermissionDenied(_("You may not import records into the registry."))
    table = open_table(stream, file_name, importer.column_specs())
    outcome = Outcome(file_name=file_name, valid_only=valid_only, preview_headers=importer.preview_headers())
    text = [table.positions[key] for key, f in importer.columns.items() if f.text and key in table.positions]
    report = ErrorReport(table.headers, text_positions=text)
    spool = tempfile.TemporaryFile() if write else None  # noqa: SIM115 (closed below)
    estimated = table.estimated_rows

    stage = ["checking"]

    def progress():
        if on_progress is not None:
            total = max(estimated or 0, outcome.total)
            on_progress(
                {
                    "stage": stage[0],
                    "total": total,
                    "checked": outcome.total,
                    "bad": outcome.bad,
                    "written": outcome.written,
                    "processed": outcome.processed,
                }
            )

    started = time.perf_counter()
    try:
        for chunk in _chunks(_data_rows(table.rows), CHUNK_ROWS):
            _check_chunk(importer, table.positions, chunk, outcome, report, spool)
            progress()
        outcome.check_seconds = time.perf_counter() - started
        estimated = outcome.total
        outcome.rejected = bool(outcome.bad) and not valid_only
        if outcome.total == 0:
            raise FileProblem(_("The file has a header row but no data rows."))
        if write and not outcome.rejected:
            started = time.perf_counter()
            stage[0] = "writing"
            _write(importer, spool, outcome, progress, job_id)
            outcome.write_seconds = time.perf_counter() - started
    finally:
        table.close()
        if spool is not None:
            spool.close()
    if report.rows:
        outcome.report = report.save()
    return outcome


def _check_chunk(importer: Importer, positions, chunk, outcome: Outcome, report: ErrorReport, spool) -> None:
    records = []
    problems: dict[int, list[tuple[str, str]]] = {}
    for number, cells in chunk:
        width = len(cells)
        values = {key: (cells[pos] if pos < width else None) for key, pos in positions.items()}
        record, errors = importer.parse(number, values)
        if errors:
            problems[number] = errors
        else:
            records.append(record)
    planned, plan_errors = importer.plan(records, lock=False)
    for error in plan_errors:
        problems.setdefault(error.row, []).append((error.column, error.message))

    outcome.total += len(chunk)
    for item in planned:
        _count(outcome, item.action, +1)
        if len(outcome.preview_rows) < PREVIEW_ROWS:
            outcome.preview_rows.append(importer.preview_row(item))
    if spool is not None and planned:
        pickle.dump([item.record for item in planned], spool, protocol=pickle.HIGHEST_PROTOCOL)

    if problems:
        for number, cells in chunk:
            errors = problems.get(number) or []
            if not errors:
                continue
            outcome.bad += 1
            headers = [(importer.header(key), message) for key, message in errors]
            for column, message in headers:
                if len(outcome.errors) < SHOWN_ERRORS:
                    outcome.errors.append(RowError(number, column, message))
            report.add(number, cells, "; ".join(f"{column}：{message}" for column, message in headers))


def _count(outcome: Outcome, action: str, step: int) -> None:
    if action == NEW:
        outcome.new += step
    elif action == UPDATE:
        outcome.updated += step
    else:
        outcome.unchanged += step


def _write(importer: Importer, spool, outcome: Outcome, progress, job_id) -> None:
    outcome.new = outcome.updated = outcome.unchanged = 0
    spool.seek(0)
    try:
        with transaction.atomic():
            while True:
                try:
                    # Our own pickles, written by this very run a moment ago: never outside data.
                    records = pickle.load(spool)  # noqa: S301
                except EOFError:
                    break
                planned, errors = importer.plan(records, lock=True)
                if errors:
                    if not outcome.valid_only:
                        raise RegistryChanged(len(errors))
                    outcome.bad += len({e.row for e in errors})
                    outcome.errors.extend(errors[: max(0, SHOWN_ERRORS - len(outcome.errors))])
                importer.write(planned)
                for item in planned:
                    _count(outcome, item.action, +1)
                outcome.written += sum(1 for item in planned if item.action != SAME)
                outcome.processed += len(planned)
                progress()
            importer.finish()
            audit_record(
                actor=importer.user,
                action=importer.audit_action,
                district_id=importer.scope.district_id,
                summary=outcome.file_name,
                # Counts and the file name only: the audit log must not hold personal data.
                data={
                    "file": outcome.file_name,
                    "job": job_id,
                    "rows": outcome.total,
                    "new": outcome.new,
                    "updated": outcome.updated,
                    "unchanged": outcome.unchanged,
                    "bad": outcome.bad,
                    "valid_only": outcome.valid_only,
                },
            )
    except IntegrityError as exc:
        # A unique key taken by someone else between the check and the write.
        raise RegistryChanged(str(exc)) from exc
    outcome.committed = True
