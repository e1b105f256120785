"""Re-encrypt every EncryptedTextField value with the current (first) PERSONAL_DATA_KEYS key."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, models, transaction

from portal import crypto
from portal.fields import EncryptedTextField

EMPTY = "empty"
CURRENT = "current"
REENCRYPTED = "reencrypted"
FAILED = "failed"

DEFAULT_BATCH_SIZE = 2000
_MAX_REPORTED_FAILURES = 20


@dataclass
class FieldReport:
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys((REENCRYPTED, CURRENT, EMPTY, FAILED), 0)
    )
    failed_pks: list[object] = field(default_factory=list)


def rotate_token(token: bytes | memoryview | None) -> tuple[str, bytes | None]:
    """(outcome, new token): new token only when the value was made with an older key.

    A token that cannot be decrypted (its key already removed, or corrupt) is reported as FAILED and
    left untouched, so one bad row does not stop the rotation of the others.
    """
    if token is None or len(token) == 0:
        return EMPTY, None
    try:
        if not crypto.needs_reencryption(token):
            return CURRENT, None
        return REENCRYPTED, crypto.reencrypt(token)
    except crypto.DecryptionError:
        return FAILED, None


def encrypted_fields(model: type[models.Model]) -> list[EncryptedTextField]:
    """The model's own encrypted columns (an inherited parent's are rotated with the parent)."""
    return [f for f in model._meta.local_concrete_fields if isinstance(f, EncryptedTextField)]


def models_with_encrypted_fields(
    candidates: Iterable[type[models.Model]] | None = None,
) -> list[tuple[type[models.Model], list[EncryptedTextField]]]:
    found = []
    for model in apps.get_models() if candidates is None else candidates:
        if model._meta.proxy or model._meta.swapped:
            continue
        fields = encrypted_fields(model)
        if fields:
            found.append((model, fields))
    return found


def rotate_model(
    model: type[models.Model],
    fields: list[EncryptedTextField],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
    using: str = DEFAULT_DB_ALIAS,
) -> dict[str, FieldReport]:
    """Walk the table in primary-key order, one transaction per batch; return a report per field."""
    reports = {f.name: FieldReport() for f in fields}
    # Read the stored bytes: through the field itself they would come back decrypted.
    raw_columns = {
        f"_token_{f.attname}": models.ExpressionWrapper(
            models.F(f.attname), output_field=models.BinaryField()
        )
        for f in fields
    }
    manager = model._base_manager.db_manager(using)
    last_pk = None
    while True:
        # Locking the batch keeps a concurrent edit from being overwritten with the old value.
        atomic = contextlib.nullcontext() if dry_run else transaction.atomic(using=using)
        with atomic:
            queryset = manager.order_by("pk")
            if last_pk is not None:
                queryset = queryset.filter(pk__gt=last_pk)
            if not dry_run:
                queryset = queryset.select_for_update()
            rows = list(queryset.annotate(**raw_columns).values_list("pk", *raw_columns)[:batch_size])
            if not rows:
                break
            last_pk = rows[-1][0]

            changed_rows: list[tuple[object, dict[str, bytes | None]]] = []
            changed_fields: set[str] = set()
            for pk, *tokens in rows:
                originals = {}
                replacements = {}
                for f, token in zip(fields, tokens, strict=True):
                    outcome, new_token = rotate_token(token)
                    report = reports[f.name]
                    report.counts[outcome] += 1
                    if outcome == FAILED and len(report.failed_pks) < _MAX_REPORTED_FAILURES:
                        report.failed_pks.append(pk)
                    originals[f.attname] = None if token is None else bytes(token)
                    if new_token is not None:
                        replacements[f.attname] = new_token
                        changed_fields.add(f.attname)
                if replacements:
                    changed_rows.append((pk, {**originals, **replacements}))

            if changed_rows and not dry_run:
                objs = []
                for pk, values in changed_rows:
                    obj = model(pk=pk)
                    # Unchanged columns are written back as the same bytes, which the field stores as is.
                    for attname in changed_fields:
                        setattr(obj, attname, values[attname])
                    objs.append(obj)
                manager.bulk_update(objs, sorted(changed_fields), batch_size=batch_size)
        if len(rows) < batch_size:
            break
    return reports


class Command(BaseCommand):
    help = (
        "Re-encrypt every EncryptedTextField value that was encrypted with an older key, using the "
        "first key in PERSONAL_DATA_KEYS. Deploy the new key list to every process first; when this "
        "command reports nothing left to re-encrypt and no failures, the old keys can be removed. "
        "Blind indexes (BlindIndexField) are not touched: they use PERSONAL_DATA_HASH_KEY, which this "
        "rotation does not change, so lookups and uniqueness keep working throughout."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Rows per transaction (default {DEFAULT_BATCH_SIZE}).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Decrypt and count, but write nothing.",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database alias to rotate.")

    def handle(self, *args, batch_size: int, dry_run: bool, database: str, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        crypto.check_keys()
        self.stdout.write(f"Current key: {crypto.current_key_id()}{' (dry run)' if dry_run else ''}")
        targets = models_with_encrypted_fields()
        if not targets:
            self.stdout.write("No model has an EncryptedTextField; nothing to do.")
            return

        verb = "would re-encrypt" if dry_run else "re-encrypted"
        failures = []
        for model, fields in targets:
            reports = rotate_model(model, fields, batch_size=batch_size, dry_run=dry_run, using=database)
            for name, report in reports.items():
                counts = report.counts
                label = f"{model._meta.label}.{name}"
                self.stdout.write(
                    f"{label}: {counts[REENCRYPTED]} {verb}, {counts[CURRENT]} already current, "
                    f"{counts[EMPTY]} empty, {counts[FAILED]} failed"
                )
                if counts[FAILED]:
                    failures.append(f"{label} ({counts[FAILED]}; first pks: {report.failed_pks})")
        if failures:
            raise CommandError(
                "Some values could not be decrypted with any configured key and were left as they are: "
                + "; ".join(failures)
            )
