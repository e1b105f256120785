"""Benchmark of seed_city against the physical limit: a plain COPY of the very same rows, same run."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    django_setup,
    migrate,
    peak_rss_mb,
    rate,
    scratch_database,
    server_url,
    stopwatch,
)

CHUNK = 1 << 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", 100_000)))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=50_000)
    parser.add_argument(
        "--database", default="portal_seed_bench", help="created and dropped by the benchmark"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards, for a look")
    parser.add_argument(
        "--no-indexed-copy",
        action="store_true",
        help="skip the COPY into a fully indexed table (slow: the indexes are kept up to date row by row)",
    )
    args = parser.parse_args()

    print(f"seed_city benchmark: {args.workers:,} workers, seed {args.seed}, batch {args.batch_size:,}")
    with scratch_database(server_url(), args.database, keep=args.keep) as url:
        print(f"database {args.database}: migrate {migrate(url):.1f} s")
        django_setup(url)
        seeded = run_seed(args)
        limit = run_copy_limit(indexed_copy=not args.no_indexed_copy)
        crypto = time_crypto()
        report(args, seeded, limit, crypto)


def run_seed(args) -> dict:
    from seed import city

    rss_before = peak_rss_mb()
    result = city.city_seed(
        workers=args.workers, seed=args.seed, batch_size=args.batch_size, progress=lambda m: print(" ", m)
    )
    result["rss_before"] = rss_before
    result["rss_after"] = peak_rss_mb()
    return result


def _tables():
    from workers.models import CraftsmanAward, Employment, Enterprise, SkillCertificate, Worker

    return [m._meta.db_table for m in (Enterprise, Worker, Employment, SkillCertificate, CraftsmanAward)]


def run_copy_limit(*, indexed_copy: bool) -> dict:
    """COPY the rows the seed wrote (already encrypted, no Python work) into empty scratch copies.

    The rows are first dumped with COPY TO (binary, to a temporary file, not timed), then streamed back:
    * "bulk": into a copy of each table without its secondary indexes, which are then built, as the seed does;
    * "indexed": worker rows into CREATE TABLE ... (LIKE workers_worker INCLUDING ALL), indexes kept up to
      date row by row, the plain way.
    """
    import psycopg
    from django.db import connection
    from psycopg import sql

    connection.ensure_connection()
    # Django runs in autocommit outside atomic(), so each statement here commits on its own.
    pg: psycopg.Connection = connection.connection
    out: dict = {"tables": {}}
    with tempfile.TemporaryDirectory(prefix="bench_seed_") as folder:
        for table in _tables():
            path = Path(folder) / f"{table}.bin"
            with path.open("wb") as dump, pg.cursor() as cursor:
                with cursor.copy(
                    sql.SQL("COPY {} TO STDOUT (FORMAT BINARY)").format(sql.Identifier(table))
                ) as copy:
                    for data in copy:
                        dump.write(data)
                cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
                rows = cursor.fetchone()[0]
            scratch = f"bench_scratch_{table}"
            with pg.cursor() as cursor:
                cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(scratch)))
                cursor.execute(
                    sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL)").format(
                        sql.Identifier(scratch), sql.Identifier(table)
                    )
                )
                # The primary key stays, as in the seed; unique constraints and other indexes come back after.
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = 'u'",
                    [scratch],
                )
                constraints = cursor.fetchall()
                for name, _ in constraints:
                    cursor.execute(
                        sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                            sql.Identifier(scratch), sql.Identifier(name)
                        )
                    )
                cursor.execute(
                    "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                    "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary",
                    [scratch],
                )
                indexes = cursor.fetchall()
                for name, _ in indexes:
                    cursor.execute(sql.SQL("DROP INDEX {}").format(sql.SQL(name)))
                with stopwatch() as copying:
                    _copy_from(cursor, scratch, path)
                with stopwatch() as indexing:
                    for _, definition in indexes:
                        cursor.execute(definition)
                    for name, definition in constraints:
                        cursor.execute(
                            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                                sql.Identifier(scratch), sql.Identifier(name), sql.SQL(definition)
                            )
                        )
                cursor.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(scratch)))
            out["tables"][table] = {
                "rows": rows,
                "bytes": path.stat().st_size,
                "copy": copying[0],
                "indexes": indexing[0],
            }
            if indexed_copy and table == "workers_worker":
                with pg.cursor() as cursor:
                    cursor.execute(
                        sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL)").format(
                            sql.Identifier(scratch), sql.Identifier(table)
                        )
                    )
                    with stopwatch() as plain:
                        _copy_from(cursor, scratch, path)
                    cursor.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(scratch)))
                out["indexed_workers"] = {"rows": rows, "seconds": plain[0]}
            path.unlink()
    return out


def _copy_from(cursor, table: str, path: Path) -> None:
    from psycopg import sql

    statement = sql.SQL("COPY {} FROM STDIN (FORMAT BINARY)").format(sql.Identifier(table))
    with path.open("rb") as source, cursor.copy(statement) as copy:
        while data := source.read(CHUNK):
            copy.write(data)


def time_crypto(samples: int = 200_000) -> dict:
    """µs per call on this machine: what encryption and hashing cost per value."""
    from portal import crypto
    from workers.models import Worker

    values = [f"3302061990{i:08d}" for i in range(samples)]
    field = Worker._meta.get_field("id_number_hash")
    timings = {}
    for label, run in (
        ("crypto.encrypt", lambda: [crypto.encrypt(v) for v in values]),
        ("crypto.encrypt_many (per value)", lambda: crypto.encrypt_many(values)),
        ("crypto.blind_index", lambda: [crypto.blind_index(v) for v in values]),
        ("BlindIndexField.index_for (normalise + blind_index)", lambda: [field.index_for(v) for v in values]),
    ):
        started = time.perf_counter()
        run()
        timings[label] = (time.perf_counter() - started) / samples * 1e6
    return timings


def report(args, seeded: dict, limit: dict, crypto: dict) -> None:
    rows = seeded["rows"]
    seconds = seeded["seconds"]
    total_rows = sum(rows.values())
    vacuum = seconds.get("vacuum", 0.0)
    seed_time = seeded["elapsed"] - vacuum
    print()
    print(f"== seed_city --workers {args.workers:,} ==")
    print(f"  total {seeded['elapsed']:.1f} s ({seed_time:.1f} s without the final VACUUM of {vacuum:.1f} s)")
    print(
        f"  {total_rows:,} rows, {rate(total_rows, seed_time)} overall, {rate(args.workers, seed_time)} workers"
    )
    for label, count in rows.items():
        spent = seconds.get(label, 0.0)
        print(f"  {label:<26} {count:>12,} rows  {spent:7.1f} s encrypt+COPY  {rate(count, spent):>14}")
    print(f"  {'indexes and constraints':<26} {seconds.get('indexes and constraints', 0.0):>33.1f} s")
    generation = seed_time - sum(v for k, v in seconds.items() if k not in {"vacuum"})
    print(f"  {'generation in Python':<26} {generation:>33.1f} s (the rest)")
    print(f"  peak RSS {seeded['rss_before']:.0f} MB before the seed, {seeded['rss_after']:.0f} MB after")
    print(
        f"  shape: non-public {seeded['non_public_share']:.1%}, skilled {seeded['skilled_share']:.1%}, "
        f"high-skill of skilled {seeded['high_skill_share_of_skilled']:.1%}"
    )

    print()
    print("== physical limit: COPY of the same rows (already encrypted), same run ==")
    copy_total = index_total = 0.0
    for table, figures in limit["tables"].items():
        copy_total += figures["copy"]
        index_total += figures["indexes"]
        print(
            f"  {table:<26} {figures['rows']:>12,} rows  {figures['copy']:7.1f} s COPY {rate(figures['rows'], figures['copy']):>12}"
            f"  + {figures['indexes']:5.1f} s indexes  ({figures['bytes'] / 2**20:,.0f} MB)"
        )
    limit_time = copy_total + index_total
    print(f"  all tables: {copy_total:.1f} s COPY + {index_total:.1f} s indexes = {limit_time:.1f} s")
    print(f"  ratio seed / limit = {seed_time / limit_time:.2f}  (1.00 would be COPY speed)")
    if "indexed_workers" in limit:
        plain = limit["indexed_workers"]
        print(
            f"  workers only, COPY into (LIKE workers_worker INCLUDING ALL): {plain['seconds']:.1f} s, "
            f"{rate(plain['rows'], plain['seconds'])}; the seed wrote the whole city in "
            f"{seed_time / plain['seconds']:.2f} x that time"
        )

    print()
    print("== encryption and hashing on this machine (µs per value) ==")
    for label, micros in crypto.items():
        print(f"  {label:<52} {micros:6.2f}")
    worker = rows.get("workers.Worker", 0)
    print(
        f"  seed: {seconds.get('workers.Worker', 0.0) / max(worker, 1) * 1e6:.1f} µs per worker row to encrypt "
        "3 fields (~2.4 of them non-empty), hash 2, and COPY"
    )


if __name__ == "__main__":
    main()
