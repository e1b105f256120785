"""Peak memory of a worker import at 10,000, 100,000 and 1,000,000 rows, each in a fresh process.

    .venv/bin/python bench/bench_import_memory.py                           # CSV at 10k, 100k and 1M rows
    .venv/bin/python bench/bench_import_memory.py --sizes 10000,100000      # a quicker look
    .venv/bin/python bench/bench_import_memory.py --formats csv,xlsx        # the Excel-layout XLSX too

Creates its own database (bench/common.py), migrates it and registers one enterprise per 17 workers of
the largest size; a file of n rows names n / 17 of them. For each size and format it writes a valid worker file to disk row by row (the
generator never holds the rows), then imports it in a fresh Python process through
portal.spreadsheets.run_import with write=True, the function the admin's import page and the background
job call: the check in chunks, then the one write transaction. The child samples its resident memory
after every chunk and prints, as JSON, the RSS after start-up, the peak during the check, the peak
overall (VmHWM), and the rows/s of each phase. Not part of CI.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import bench_import
from bench.bench_import import (
    AREAS,
    HEADERS,
    WORKERS_PER_ENTERPRISE,
    empty_registry,
    register_enterprises,
    row,
    write_excel_layout,
)
from bench.common import (
    ROOT,
    bench_environment,
    django_setup,
    migrate,
    scratch_database,
    server_url,
    stopwatch,
)

DEFAULT_SIZES = "10000,100000,1000000"
# Births over 9,000 days from 1970 (to mid-1994): everyone is over 16 on the hire dates of
# bench_import.row (2015 to 2023). Its own 10,950 days reach 1999, too young past 200,000 rows.
BIRTH_DAYS = 9_000


def valid_row(n: int, codes: list[str]) -> list:
    """bench_import.row, born early enough to be 16 on every hire date up to 1,000,000 rows and beyond."""
    from seed.identifiers import demo_id_number

    values = row(n, codes)
    birth = datetime.date(1970, 1, 1) + datetime.timedelta(days=(n // len(AREAS)) % BIRTH_DAYS)
    sequence = n // (len(AREAS) * BIRTH_DAYS)
    values[1] = demo_id_number(AREAS[n % len(AREAS)], birth.strftime("%Y%m%d"), sequence)
    return values


def write_csv(rows: int, codes: list[str], path: Path) -> None:
    """A UTF-8 CSV with BOM, as Excel saves "CSV UTF-8", written one row at a time."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        for n in range(rows):
            values = valid_row(n, codes)
            values[-1] = values[-1].isoformat()
            writer.writerow(values)


def write_xlsx(rows: int, codes: list[str], path: Path) -> None:
    """bench_import's workbook laid out as Excel saves it (its sheet streamed), with valid_row's births."""
    original = bench_import.row
    bench_import.row = valid_row
    try:
        write_excel_layout(rows, codes, path)
    finally:
        bench_import.row = original


WRITERS = {"csv": (".csv", write_csv), "xlsx": ("-excel-layout.xlsx", write_xlsx)}


# --- The child: one import in a fresh process ----------------------------------------------------------------


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status (Linux only)")


def child(url: str, path: Path) -> None:
    django_setup(url)
    from django.conf import settings

    settings.DEBUG = False  # no query log growing with every statement
    from portal.spreadsheets import run_import
    from workers.importers.worker import WorkerImporter

    empty_registry()
    started_mb = _status_mb("VmRSS")
    samples: dict[str, float] = {"check_peak": 0.0}

    def progress(state: dict) -> None:
        if not state["written"]:
            samples["check_peak"] = _status_mb("VmHWM")

    with path.open("rb") as stream, stopwatch() as elapsed:
        outcome = run_import(WorkerImporter(), stream, path.name, write=True, on_progress=progress)
    if not outcome.committed or outcome.bad:
        raise SystemExit(f"the import did not go through: {outcome.errors[:5]}")
    print(
        json.dumps(
            {
                "rows": outcome.total,
                "started": started_mb,
                "check_peak": samples["check_peak"],
                "peak": _status_mb("VmHWM"),
                "check_seconds": outcome.check_seconds,
                "write_seconds": outcome.write_seconds,
                "seconds": elapsed[0],
            }
        )
    )


def measure(url: str, path: Path) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", str(path), "--url", url],
        capture_output=True,
        text=True,
        env=bench_environment(url),
        cwd=ROOT,
    )
    if result.returncode:
        raise SystemExit(f"the import of {path.name} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- The parent -----------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated row counts")
    parser.add_argument("--formats", default="csv", help="comma-separated: csv, xlsx (Excel layout)")
    parser.add_argument(
        "--database", default="portal_import_memory_bench", help="created and dropped by the benchmark"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.url, Path(args.child))
        return

    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = set(formats) - set(WRITERS)
    if unknown:
        parser.error(f"unknown formats: {', '.join(sorted(unknown))}")
    print(f"import memory benchmark: {', '.join(f'{s:,}' for s in sizes)} worker rows ({', '.join(formats)})")
    with (
        scratch_database(server_url(), args.database, keep=args.keep) as url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        print(f"database {args.database}: migrate {migrate(url):.1f} s", flush=True)
        django_setup(url)
        from django.conf import settings

        settings.DEBUG = False
        enterprises = max(1, sizes[-1] // WORKERS_PER_ENTERPRISE)
        codes = register_enterprises(enterprises)
        print(f"{enterprises:,} enterprises registered", flush=True)
        results = []
        for fmt in formats:
            suffix, write = WRITERS[fmt]
            for size in sizes:
                path = Path(tmp) / f"workers-{size}{suffix}"
                with stopwatch() as made:
                    # One enterprise per 17 workers at every size, as in a real file (the importer
                    # caches the enterprises a file names).
                    write(size, codes[: max(1, size // WORKERS_PER_ENTERPRISE)], path)
                print(
                    f"  {fmt} {size:>9,} rows: file {path.stat().st_size / 1e6:,.0f} MB written in "
                    f"{made[0]:.0f} s; importing in a fresh process…",
                    flush=True,
                )
                started = time.perf_counter()
                result = measure(url, path)
                path.unlink()  # the next, larger file needs the room more than this one
                result.update(format=fmt, wall=time.perf_counter() - started)
                results.append(result)
                print(f"    {_line(result)}", flush=True)
    report(results)


def _line(r: dict) -> str:
    return (
        f"RSS {r['started']:.0f} MB after start-up, peak {r['check_peak']:.0f} MB in the check, "
        f"{r['peak']:.0f} MB overall; {r['rows'] / r['seconds']:,.0f} rows/s"
    )


def report(results: list[dict]) -> None:
    print()
    print(
        "| file | rows | RSS after start-up | peak RSS, check | peak RSS, overall | check rows/s | "
        "write rows/s | import rows/s | import |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r['format']} | {r['rows']:,} | {r['started']:.0f} MB | {r['check_peak']:.0f} MB | "
            f"{r['peak']:.0f} MB | {r['rows'] / r['check_seconds']:,.0f} | {r['rows'] / r['write_seconds']:,.0f} | "
            f"{r['rows'] / r['seconds']:,.0f} | {r['seconds']:.1f} s |"
        )
    by_format: dict[str, list[dict]] = {}
    for r in results:
        by_format.setdefault(r["format"], []).append(r)
    for fmt, rows in by_format.items():
        if len(rows) > 1:
            first, last = rows[0], rows[-1]
            extra = (last["peak"] - first["peak"]) * 2**20 / max(1, last["rows"] - first["rows"])
            print(
                f"{fmt}: {last['rows'] / first['rows']:,.0f}x the rows, peak RSS "
                f"{first['peak']:.0f} -> {last['peak']:.0f} MB ({extra:,.0f} bytes per extra row)"
            )


if __name__ == "__main__":
    main()
