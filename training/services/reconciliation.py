"""Reconciling a sent batch with the bank's result file: each line settles one payment, or is reported.

The file (XLSX or CSV, read by the imports' reader: portal/spreadsheets/reading.py) has a line per
payment: our reference, the account, the amount, the result (paid or returned), the bank's reference
and, for a return, the reason. A line settles a payment only when reference, amount and account (by
its keyed hash) all match a payment of this batch still waiting; every other line is reported and
changes nothing. The lines go into a temporary table (COPY on PostgreSQL) and one UPDATE … FROM
settles every matching payment, so 10,000 lines cost a handful of statements, not 10,000. The problem
lines go into an error report (accounts masked), kept as a finished job's file for download, as the
imports' reports are.

The batch row is locked first: two uploads of one file run one after the other, and the second finds
every line already recorded. A file naming another batch is refused as a whole.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePath
from typing import IO

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.jobs import job_create, job_finish
from portal.masking import mask_bank_account
from portal.models import User
from portal.spreadsheets.pipeline import SHOWN_ERRORS, ErrorReport, RowError
from portal.spreadsheets.reading import FileProblem, is_blank, open_table
from training.choices import BankResult, BatchStatus, ClaimStatus, PaymentStatus
from training.models import Claim, Payment, PaymentBatch
from training.models.payment import split_payment_reference
from training.services.payments import (
    PAYABLE,
    _claim_events,
    _locked_batch,
    _require_payment_staff,
    _settle_if_done,
)
from workers import validators
from workers.importers import cells

#: The bank's result file: (key, header, required). Headers compare as the imports' do (NFKC, no spaces).
COLUMNS = (
    ("reference", "业务编号", True),
    ("account", "收款账号", True),
    ("amount", "金额（元）", True),
    ("result", "处理结果", True),
    ("bank_reference", "银行流水号", False),
    ("reason", "失败原因", False),
)
HEADERS = {key: header for key, header, _required in COLUMNS}
#: What banks write in the result column.
RESULT_WORDS = {
    BankResult.PAID: ("成功", "支付成功", "已支付", "交易成功", "入账成功", "paid", "success", "s", "ok"),
    BankResult.RETURNED: (
        "失败",
        "支付失败",
        "退回",
        "已退回",
        "退票",
        "交易失败",
        "returned",
        "failed",
        "f",
    ),
}
_RESULTS = {cells.text(word).casefold(): result for result, words in RESULT_WORDS.items() for word in words}
LINES_TABLE = "training_bank_lines"


@dataclass
class Line:
    row: int
    payment_id: int
    amount: Decimal
    account_hash: str
    result: str
    bank_reference: str
    reason: str


@dataclass
class ReconcileOutcome:
    """What a result file did: counts, the problem lines (shown and in the error report), the file's hash."""

    file_name: str
    sha256: str
    lines: int = 0
    paid: int = 0
    returned: int = 0
    already: int = 0
    problems: list[RowError] = field(default_factory=list)
    bad: int = 0
    report: IO[bytes] | None = None
    #: The finished job that keeps the error report for download (portal's /jobs/<id>/download/), if any.
    report_job_id: int | None = None

    @property
    def changed(self) -> int:
        return self.paid + self.returned

    def as_json(self) -> dict:
        return {
            "file_name": self.file_name,
            "sha256": self.sha256,
            "lines": self.lines,
            "paid": self.paid,
            "returned": self.returned,
            "already_recorded": self.already,
            "not_matched": self.bad,
            "problems": [{"row": p.row, "column": p.column, "message": p.message} for p in self.problems],
        }


def _digest(stream: IO[bytes]) -> str:
    stream.seek(0)
    digest = hashlib.sha256()
    for block in iter(lambda: stream.read(1 << 16), b""):
        digest.update(block)
    stream.seek(0)
    return digest.hexdigest()


def _text(raw: object) -> str:
    """A cell as text. Plain printable ASCII (references, amounts, accounts, most bank references) skips
    the character-by-character check of the shared reader's cells.text, which costs most on 10,000 lines."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    value = str(raw).strip()
    return value if value.isascii() and value.isprintable() else cells.text(raw)


def _result(raw: object) -> str:
    # The bank's own word as it stands first: a hit is one of RESULT_WORDS, so it holds nothing to refuse.
    value = _RESULTS.get(raw.strip().casefold()) if isinstance(raw, str) else None
    if value is not None:
        return value
    value = _RESULTS.get(_text(raw).casefold())
    if value is None:
        raise ValidationError(
            _("Write the result as 成功 (paid) or 失败 (returned), not “%(value)s”.") % {"value": _text(raw)}
        )
    return value


def _account(raw: object) -> str:
    return cells.digits_text(raw) if isinstance(raw, float) else validators.normalise_bank_account(_text(raw))


def _amount(raw: object) -> Decimal:
    if isinstance(raw, int | Decimal):
        value = Decimal(raw)
    else:
        try:
            value = Decimal(_text(raw))
        except ArithmeticError:
            return cells.yuan(raw)  # "1,200元" and the like, with the imports' message when it is none
    if not value.is_finite() or value < 0:
        return cells.yuan(raw)
    return value.quantize(Decimal("0.01"))


def _parse(number: int, values: dict) -> tuple[Line | None, list[tuple[str, str]], str]:
    """(line, errors, the batch reference its payment reference names, or "")."""
    errors: list[tuple[str, str]] = []

    def take(key, parse, *, required=False):
        raw = values.get(key)
        if is_blank(raw):
            if required:
                errors.append((key, _("This column is required.")))
            return None
        try:
            return parse(raw)
        except ValidationError as exc:
            errors.append((key, cells.message_of(exc)))
            return None

    batch_reference, payment_id = split_payment_reference(_text(values.get("reference")))
    if payment_id is None:
        errors.append(
            ("reference", _("This is not a reference of ours (such as PB20250601-00012-00000345)."))
        )
    account = take("account", _account, required=True)
    amount = take("amount", _amount, required=True)
    result = take("result", _result, required=True)
    bank_reference = take("bank_reference", _text) or ""
    reason = take("reason", cells.text) or ""  # shown to the worker: the shared text checks apply
    bank_reference, reason = bank_reference[:64], reason[:255]
    if result == BankResult.RETURNED and not reason:
        errors.append(("reason", _("A returned payment needs the bank's reason.")))
    digest = Payment._meta.get_field("payee_account_hash").index_for(account) if account else None
    if account is not None and digest is None:
        errors.append(("account", _("This column is required.")))
    named = batch_reference if payment_id is not None else ""
    if errors:
        return None, errors, named
    assert payment_id is not None and digest is not None  # else errors names them
    return Line(number, payment_id, amount, digest, result, bank_reference, reason), errors, named


def _masked_cells(cells_row, positions: dict[str, int]):
    """The row as it was, the account masked: the error report must not be a second copy of accounts."""
    row = list(cells_row)
    at = positions.get("account")
    if at is not None and at < len(row) and not is_blank(row[at]):
        raw = row[at]
        # A number cell (an account Excel took for a number) as its digits, not as 6.2220212e+18.
        text = f"{raw:.0f}" if isinstance(raw, float) and raw.is_integer() else str(raw)
        digits = validators.normalise_bank_account(text)
        row[at] = mask_bank_account(digits)
    return row


def _keep_report(*, by: User | None, batch: PaymentBatch, outcome: ReconcileOutcome) -> None:
    """Keep the error report as a finished job's file, downloaded like the imports' error reports.

    Its accounts are masked; the job has the batch's district, so it is scoped like the batch (its
    creator, and staff who see that district).
    """
    assert outcome.report is not None  # kept only when there is a report
    job = job_create(
        by=by,
        kind="reconcile.batch",
        district_id=batch.district_id,
        params={"batch": batch.pk, "file_name": PurePath(outcome.file_name).name},
    )
    name = f"{PurePath(outcome.file_name).stem or batch.reference}-错误报告.xlsx"
    job_finish(job.pk, result=outcome.as_json(), output=File(outcome.report, name=name))
    outcome.report.seek(0)
    outcome.report_job_id = job.pk


@transaction.atomic
def batch_reconcile_file(
    *, by: User | None, batch_id: int, stream: IO[bytes], file_name: str
) -> ReconcileOutcome:
    """Settle a sent batch's payments from the bank's result file; see the module's docstring."""
    batch = _locked_batch(batch_id)
    _require_payment_staff(by, batch, marking=True)
    if batch.status == BatchStatus.OPEN:
        raise ValidationError(
            _("Batch %(batch)s has not been sent to the bank: there is nothing to reconcile.")
            % {"batch": batch.reference}
        )
    if batch.status == BatchStatus.CLOSED:
        raise ValidationError(_("This batch is closed."))
    outcome = ReconcileOutcome(file_name=file_name, sha256=_digest(stream))
    try:
        table = open_table(stream, file_name, COLUMNS)
    except FileProblem as exc:
        raise ValidationError(exc.message) from None
    report = ErrorReport(table.headers, text_positions=[table.positions["account"]])
    reference = batch.reference
    lines: dict[int, Line] = {}  # payment id -> line
    kept_cells: dict[int, Sequence[object]] = {}  # row -> masked cells, for the report
    problems: dict[int, list[tuple[str, str]]] = {}
    others: set[str] = set()
    try:
        for number, row in table.rows:
            if all(is_blank(c) for c in row):
                continue
            values = {key: (row[pos] if pos < len(row) else None) for key, pos in table.positions.items()}
            line, errors, named = _parse(number, values)
            outcome.lines += 1
            if named and named != reference:
                others.add(named)
            if line is not None and line.payment_id in lines:
                errors = [
                    (
                        "reference",
                        _("The same reference is on row %(row)d too.") % {"row": lines[line.payment_id].row},
                    )
                ]
                line = None
            if line is None:
                problems[number] = errors
            else:
                lines[line.payment_id] = line
            kept_cells[number] = row  # masked only if it goes into the error report
    finally:
        table.close()
    if others:
        raise ValidationError(
            _("This file is for batch %(other)s, not %(batch)s; nothing was changed.")
            % {"other": "、".join(sorted(others)[:3]), "batch": batch.reference}
        )
    if outcome.lines == 0:
        raise ValidationError(_("The file has a header row but no data rows."))

    _load_lines(list(lines.values()))
    try:
        mismatched = _mismatches(batch)
        for payment_id, column, message, already in mismatched:
            line = lines[payment_id]
            if already:
                outcome.already += 1
            else:
                problems.setdefault(line.row, []).append((column, message))
        _lock_claims(batch)
        now = timezone.now()
        settled = _settle(batch, now)
    finally:
        _drop_lines()
    paid_claims = [claim for claim, status in settled if status == PaymentStatus.PAID]
    returned_claims = [claim for claim, status in settled if status == PaymentStatus.RETURNED]
    outcome.paid, outcome.returned = len(paid_claims), len(returned_claims)
    # The claims follow their payments, picked by a subquery on the moment just written (no id list).
    this_run = Payment.objects.filter(batch=batch).filter(Q(paid_at=now) | Q(returned_at=now))
    Claim.objects.filter(
        pk__in=this_run.filter(status=PaymentStatus.PAID).values("claim_id"), status__in=PAYABLE
    ).update(status=ClaimStatus.PAID, paid_at=now)
    reason = Payment.objects.filter(claim=OuterRef("pk"), batch=batch, status=PaymentStatus.RETURNED).values(
        "return_reason"
    )[:1]
    Claim.objects.filter(
        pk__in=this_run.filter(status=PaymentStatus.RETURNED).values("claim_id"), status__in=PAYABLE
    ).update(status=ClaimStatus.RETURNED, paid_at=None, closed_reason=Subquery(reason))
    extra = {"via": "file", "sha256": outcome.sha256}
    _claim_events(by=by, action="claim.pay", claim_ids=paid_claims, batch=batch, extra=extra)
    _claim_events(by=by, action="claim.return", claim_ids=returned_claims, batch=batch, extra=extra)
    _settle_if_done(batch)

    for number in sorted(problems):
        outcome.bad += 1
        headed = [(HEADERS.get(key, key), message) for key, message in problems[number]]
        for column, message in headed:
            if len(outcome.problems) < SHOWN_ERRORS:
                outcome.problems.append(RowError(number, column, message))
        cells_shown = _masked_cells(kept_cells.get(number, ()), table.positions)
        report.add(number, cells_shown, "; ".join(f"{c}：{m}" for c, m in headed))
    if report.rows:
        outcome.report = report.save()
        _keep_report(by=by, batch=batch, outcome=outcome)
    audit_record(
        actor=by,
        action="batch.reconcile",
        obj=batch,
        district_id=batch.district_id,
        summary=file_name,
        data={
            "file": file_name,
            "sha256": outcome.sha256,
            "lines": outcome.lines,
            "paid": outcome.paid,
            "returned": outcome.returned,
            "already": outcome.already,
            "not_matched": outcome.bad,
        },
    )
    return outcome


# --- The set-based part ------------------------------------------------------------------------------------

_LINE_COLUMNS = "line_no, payment_id, line_amount, line_account, line_result, line_bank_ref, line_reason"


def _load_lines(lines: list[Line]) -> None:
    rows = [
        (ln.row, ln.payment_id, ln.amount, ln.account_hash, ln.result, ln.bank_reference, ln.reason)
        for ln in lines
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {LINES_TABLE}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {LINES_TABLE} (line_no integer, payment_id bigint, line_amount numeric(12, 2), "
            "line_account varchar(64), line_result varchar(16), line_bank_ref varchar(64), line_reason varchar(255))"
        )
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {LINES_TABLE} ({_LINE_COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(
                f"INSERT INTO {LINES_TABLE} ({_LINE_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)",  # noqa: S608
                [
                    (*row[:2], connection.ops.adapt_decimalfield_value(row[2], 12, 2), *row[3:])
                    for row in rows
                ],
            )


def _drop_lines() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {LINES_TABLE}")


def _mismatches(batch: PaymentBatch) -> list[tuple[int, str, str, bool]]:
    """(payment id, the column at fault, why the line changes nothing, whether it only repeats what is
    recorded): one query."""
    payment = Payment._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT l.payment_id, p.id, p.amount = l.line_amount, p.payee_account_hash = l.line_account,
                   p.status, l.line_result, p.amount
            FROM {LINES_TABLE} l
            LEFT JOIN {payment} p ON p.id = l.payment_id AND p.batch_id = %s
            WHERE p.id IS NULL OR p.amount <> l.line_amount OR p.payee_account_hash IS NULL
               OR p.payee_account_hash <> l.line_account OR p.status <> %s
            """,  # noqa: S608 (table names from the models)
            [batch.pk, PaymentStatus.PENDING],
        )
        found = cursor.fetchall()
    out = []
    for payment_id, pk, same_amount, same_account, status, result, amount in found:
        if pk is None:
            out.append((payment_id, "reference", _("No payment of this batch has this reference."), False))
        elif not same_amount:
            message = _("The amount differs from the payment's %(amount)s yuan.") % {"amount": amount}
            out.append((payment_id, "amount", message, False))
        elif not same_account:
            message = _("The account differs from the one the payment was sent to.")
            out.append((payment_id, "account", message, False))
        elif status == result:
            out.append((payment_id, "reference", "", True))  # the same file again, or a line already recorded
        else:
            message = _("The payment is already recorded as %(status)s; the line says otherwise.") % {
                "status": PaymentStatus(status).label
            }
            out.append((payment_id, "result", message, False))
    return out


def _lock_claims(batch: PaymentBatch) -> None:
    """Lock the claims of the batch's waiting payments, in primary-key order, in one statement."""
    if connection.vendor != "postgresql":
        return  # SQLite has one writer at a time: the batch lock already serialises everything
    claim, payment = Claim._meta.db_table, Payment._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT c.id FROM {claim} c WHERE c.id IN "  # noqa: S608
            f"(SELECT claim_id FROM {payment} WHERE batch_id = %s AND status = %s) ORDER BY c.id FOR UPDATE) AS locked",
            [batch.pk, PaymentStatus.PENDING],
        )
        cursor.fetchone()


def _settle(batch: PaymentBatch, moment) -> list[tuple[int, str]]:
    """One UPDATE … FROM for every line that matches a waiting payment on reference, amount and account."""
    now = connection.ops.adapt_datetimefield_value(moment)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {Payment._meta.db_table} AS p
            SET status = l.line_result,
                paid_at = CASE WHEN l.line_result = %(paid)s THEN %(now)s END,
                returned_at = CASE WHEN l.line_result = %(returned)s THEN %(now)s END,
                return_reason = CASE WHEN l.line_result = %(returned)s THEN l.line_reason ELSE '' END,
                bank_reference = COALESCE(l.line_bank_ref, '')
            FROM {LINES_TABLE} AS l
            WHERE p.id = l.payment_id AND p.batch_id = %(batch)s AND p.status = %(pending)s
              AND p.amount = l.line_amount AND p.payee_account_hash = l.line_account
            RETURNING claim_id, status
            """,  # noqa: S608 (table names from the models)
            {
                "paid": BankResult.PAID,
                "returned": BankResult.RETURNED,
                "now": now,
                "batch": batch.pk,
                "pending": PaymentStatus.PENDING,
            },
        )
        return cursor.fetchall()
