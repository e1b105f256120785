"""Bulk inserts for imports: COPY through psycopg 3 on PostgreSQL; the caller uses bulk_create elsewhere.

COPY skips Django's per-field SQL compilation and psycopg's parsing of a statement with thousands of
placeholders, which together cost more than the database's own work. The caller hands over values
ready for the column (ciphertext from crypto.encrypt_many, blind indexes from the field's index_for),
and ids come from the table's sequence first, so dependent rows can point at new ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection
from psycopg import sql


def copy_available() -> bool:
    return connection.vendor == "postgresql"


def check_columns(model, columns: Sequence[str], *, with_id: bool) -> None:
    """Refuse to COPY when the model has columns the import does not fill (a field was added)."""
    # A column with a database default (db_default) is filled by the database when COPY leaves it out.
    expected = {
        f.column for f in model._meta.concrete_fields if not f.has_db_default() or f.column in columns
    }
    if not with_id:
        expected.discard(model._meta.pk.column)
    if expected != set(columns):
        raise RuntimeError(
            f"The import's COPY into {model._meta.db_table} names {sorted(columns)} but the table has "
            f"{sorted(expected)}; update workers/importers to fill the new columns."
        )


def next_ids(model, count: int) -> list[int]:
    """Reserve ``count`` primary keys from the table's sequence (never reused, even on rollback)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(model, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
