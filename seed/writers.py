"""Where the generators' rows go: COPY on PostgreSQL, bulk_create elsewhere, counted and timed per model."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db import models

from portal import crypto
from portal.fields import BlindIndexField, EncryptedTextField


class Writer:
    """Takes rows (tuples of attribute values, personal data in clear) and stores them; counts and times.

    Values must be plain: str and int rather than Enum members (psycopg dumps an Enum by its name), JSON
    wrapped in psycopg.types.json.Jsonb. Encrypted fields get clear text; their hash columns are left out.
    """

    def __init__(self, db) -> None:
        self.db = db
        self.rows = Counter()  # model label -> rows written
        self.seconds = Counter()  # model label -> seconds spent encrypting and writing

    @property
    def rows_written(self) -> int:
        return sum(self.rows.values())

    def write(self, model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple]) -> None:
        if not rows:
            return
        started = time.perf_counter()
        self._write(model, fields, rows)
        self.rows[model._meta.label] += len(rows)
        self.seconds[model._meta.label] += time.perf_counter() - started

    def _write(self, model, fields, rows) -> None:
        raise NotImplementedError

    def reserve_ids(self, model: type[models.Model], count: int) -> int:
        """The first of `count` consecutive primary keys nobody else will use; children can refer to them."""
        raise NotImplementedError

    def lock(self, models_: Sequence[type[models.Model]]) -> None:
        """Keep other sessions out of these tables until the transaction ends."""

    @contextlib.contextmanager
    def bulk_load(self, models_: Sequence[type[models.Model]], *, clear: bool) -> Iterator[None]:
        """Around the whole load: empty the tables first if `clear`; rebuild what needs rebuilding after."""
        raise NotImplementedError

    def after_commit(self, models_: Sequence[type[models.Model]]) -> None:
        """Housekeeping that cannot run inside a transaction."""


class DjangoWriter(Writer):
    """bulk_create through the models (SQLite, the demo size): the fields encrypt and hash as usual.

    Django stamps auto_now columns (created_at, updated_at) with the current time here, not the fixed one.
    """

    def __init__(self, db) -> None:
        super().__init__(db)
        self.next_ids: dict[type[models.Model], int] = {}

    def _write(self, model, fields, rows) -> None:
        model._base_manager.using(self.db.alias).bulk_create(
            [model(**dict(zip(fields, row, strict=True))) for row in rows]
        )

    def reserve_ids(self, model, count) -> int:
        highest = model._base_manager.using(self.db.alias).aggregate(highest=models.Max("pk"))["highest"] or 0
        first = max(highest + 1, self.next_ids.get(model, 1))
        self.next_ids[model] = first + count
        return first

    @contextlib.contextmanager
    def bulk_load(self, models_, *, clear):
        if clear:
            for model in reversed(models_):  # children first: the registry's own PROTECT relations
                model._base_manager.using(self.db.alias).all().delete()
        yield


class PostgresCopyWriter(Writer):
    """COPY ... FROM STDIN (FORMAT BINARY) through psycopg 3, inside Django's transaction.

    The load drops the tables' secondary indexes and their unique and foreign-key constraints and builds them
    again at the end (PostgreSQL's own advice for populating a database): keeping ten indexes on
    workers_worker up to date row by row, most of them on random hashes, made COPY about 8 times slower.
    It all happens in the one transaction, so a failure leaves the old schema and data untouched.
    """

    def __init__(self, db) -> None:
        super().__init__(db)
        db.ensure_connection()
        self.pg = db.connection  # the psycopg.Connection under Django's, in the same transaction
        self.plans: dict[tuple[type[models.Model], tuple[str, ...]], _CopyPlan] = {}

    def _plan(self, model, fields) -> _CopyPlan:
        key = (model, tuple(fields))
        if key not in self.plans:
            self.plans[key] = _CopyPlan.build(self.pg, model, fields)
        return self.plans[key]

    def _write(self, model, fields, rows) -> None:
        plan = self._plan(model, fields)
        with self.pg.cursor() as cursor, cursor.copy(plan.statement) as copy:
            copy.set_types(plan.types)
            write_row = copy.write_row
            for row in plan.prepare(rows):
                write_row(row)

    def reserve_ids(self, model, count) -> int:
        if count <= 0:
            return 1
        table, pk = model._meta.db_table, model._meta.pk.column
        with self.pg.cursor() as cursor:
            # The tables are locked, so nothing else draws from the sequence in between.
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, %s), nextval(pg_get_serial_sequence(%s, %s)) + %s - 1)",
                [table, pk, table, pk, count],
            )
            return cursor.fetchone()[0] - count + 1

    def lock(self, models_) -> None:
        from psycopg import sql

        # Exclusive: the load drops and rebuilds indexes, so even readers must wait.
        with self.pg.cursor() as cursor:
            cursor.execute(
                sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(
                    sql.SQL(", ").join(sql.Identifier(m._meta.db_table) for m in models_)
                )
            )

    @contextlib.contextmanager
    def bulk_load(self, models_, *, clear):
        from psycopg import sql

        tables = [m._meta.db_table for m in models_]
        with self.pg.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            # ALTER TABLE refuses while deferred foreign-key checks of earlier writes in this transaction
            # are pending; run them now (and the rest of the transaction's checks as they happen).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            # Foreign keys from other tables matter only to TRUNCATE, which refuses while they exist.
            cursor.execute(
                """
                SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype
                FROM pg_constraint
                WHERE (conrelid = ANY(%(t)s::regclass[]) AND contype IN ('f', 'u', 'x'))
                   OR (%(clear)s AND contype = 'f' AND confrelid = ANY(%(t)s::regclass[]))
                ORDER BY contype <> 'f', conrelid::regclass::text, conname
                """,
                {"t": tables, "clear": clear},
            )
            constraints = cursor.fetchall()
            cursor.execute(
                """
                SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                FROM pg_index i
                WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                                  WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))
                ORDER BY 1
                """,
                [tables],
            )
            indexes = cursor.fetchall()
            for table, name, _, _ in constraints:  # foreign keys first: they may depend on unique ones
                cursor.execute(
                    sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.SQL(table), sql.Identifier(name))
                )
            for index, _ in indexes:
                cursor.execute(sql.SQL("DROP INDEX {}").format(sql.SQL(index)))
            if clear:
                cursor.execute(
                    sql.SQL("TRUNCATE {} RESTART IDENTITY").format(
                        sql.SQL(", ").join(map(sql.Identifier, tables))
                    )
                )
        yield
        started = time.perf_counter()
        with self.pg.cursor() as cursor:
            for _, definition in indexes:
                cursor.execute(definition)
            for table, name, definition, _ in reversed(constraints):  # unique ones before the foreign keys
                cursor.execute(
                    sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                        sql.SQL(table), sql.Identifier(name), sql.SQL(definition)
                    )
                )
            cursor.execute(sql.SQL("ANALYZE {}").format(sql.SQL(", ").join(map(sql.Identifier, tables))))
        self.seconds["indexes and constraints"] += time.perf_counter() - started

    def after_commit(self, models_) -> None:
        from psycopg import sql

        if self.db.in_atomic_block:
            return
        started = time.perf_counter()
        # Sets hint bits and the visibility map now, so the first queries (and index-only scans) are fast.
        with self.pg.cursor() as cursor:
            cursor.execute(
                sql.SQL("VACUUM {}").format(
                    sql.SQL(", ").join(sql.Identifier(m._meta.db_table) for m in models_)
                )
            )
        self.seconds["vacuum"] += time.perf_counter() - started


@dataclass
class _CopyPlan:
    statement: object
    types: list[int]
    encrypted: list[int]
    hashes: list[tuple[BlindIndexField, int]]

    @classmethod
    def build(cls, pg, model, fields) -> _CopyPlan:
        from psycopg import sql

        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        model_fields = [by_attname[name] for name in fields]
        encrypted = [i for i, f in enumerate(model_fields) if isinstance(f, EncryptedTextField)]
        hashes = [
            (f, fields.index(f.source))
            for f in model._meta.concrete_fields
            if isinstance(f, BlindIndexField) and f.source in fields and f.attname not in fields
        ]
        columns = [f.column for f in model_fields] + [f.column for f, _ in hashes]
        with pg.cursor() as cursor:
            cursor.execute(
                "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0",
                [model._meta.db_table],
            )
            oids = dict(cursor.fetchall())
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
            sql.Identifier(model._meta.db_table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        return cls(statement, [oids[c] for c in columns], encrypted, hashes)

    def prepare(self, rows: Sequence[tuple]) -> Iterator[tuple]:
        """Encrypt and hash column by column, as EncryptedTextField and BlindIndexField would."""
        if not self.encrypted and not self.hashes:
            return iter(rows)
        columns = list(zip(*rows, strict=True))
        # The field's own index_for, so that worker_by_id_number finds what COPY wrote.
        extra = [[f.index_for(value) for value in columns[source]] for f, source in self.hashes]
        for i in self.encrypted:
            columns[i] = crypto.encrypt_many(columns[i])
        return zip(*columns, *extra, strict=True)


def writer_for(db) -> Writer:
    return PostgresCopyWriter(db) if db.vendor == "postgresql" else DjangoWriter(db)


class IdBlocks:
    """Primary keys reserved from the writer in blocks, so children can name parents written later."""

    def __init__(self, writer: Writer, model: type[models.Model], block: int) -> None:
        self.writer, self.model, self.block = writer, model, max(block, 1)
        self.next_id = self.end = 0

    def take(self) -> int:
        if self.next_id >= self.end:
            self.next_id = self.writer.reserve_ids(self.model, self.block)
            self.end = self.next_id + self.block
        self.next_id += 1
        return self.next_id - 1
