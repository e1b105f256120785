"""Benchmark of the admin's import path for workers against a plain COPY of the same rows, same run.

    .venv/bin/python bench/bench_import.py                  # 100,000 rows, XLSX and CSV
    .venv/bin/python bench/bench_import.py --rows 20000     # a quick look

Creates its own database (bench/common.py), migrates it, registers one enterprise per 17 workers,
writes the same valid worker rows as an XLSX from openpyxl (inline strings, no <dimension>), as an
XLSX laid out as Excel saves it (shared strings, a dimension, styled date serials) and as a CSV,
and imports each through portal.spreadsheets.run_import —
the functions the admin's import page and the background task call — printing validated rows/s
(the check: read, normalise, validate, one or two queries per chunk) and written rows/s (the write
transaction: bulk inserts of workers and their employments). Then the physical limit: the same rows,
already encrypted and hashed, COPYed into scratch copies of the worker and employment tables. Last,
peak memory of a full import in a fresh process at each --memory-sizes.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    ROOT,
    bench_environment,
    django_setup,
    migrate,
    peak_rss_mb,
    scratch_database,
    server_url,
    stopwatch,
)

HEADERS = [
    "姓名",
    "身份证号",
    "手机号",
    "银行账号",
    "企业统一社会信用代码",
    "职业",
    "岗位",
    "学历",
    "是否工会会员",
    "入职日期",
]
AREAS = [
    "330206", "330203", "330212", "230103", "410105", "510125", "360102", "330282", "420102", "520102",
    "340102", "430102", "450102", "530102", "610102", "220102", "130102", "370102", "350102", "500101",
]  # fmt: skip
WORKERS_PER_ENTERPRISE = 17
DISTRICTS = [
    "330203",
    "330205",
    "330206",
    "330211",
    "330212",
    "330213",
    "330225",
    "330226",
    "330281",
    "330282",
]


def row(n: int, codes: list[str]) -> list:
    from seed.identifiers import demo_id_number

    birth = datetime.date(1970, 1, 1) + datetime.timedelta(days=(n // len(AREAS)) % 10_950)
    sequence = n // (len(AREAS) * 10_950)
    return [
        f"职工{n}",
        demo_id_number(AREAS[n % len(AREAS)], birth.strftime("%Y%m%d"), sequence),
        f"13{n % 10}{n:08d}"[-11:],
        "",
        codes[n % len(codes)],
        "数控车工",
        "操作工",
        "高中",
        "是" if n % 3 else "否",
        datetime.date(2015, 1, 1) + datetime.timedelta(days=n % 3000),
    ]


def write_files(rows: int, codes: list[str], directory: Path) -> dict[str, Path]:
    from openpyxl import Workbook

    xlsx = directory / f"workers-{rows}.xlsx"
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADERS)
    for n in range(rows):
        sheet.append(row(n, codes))
    book.save(xlsx)
    excel = directory / f"workers-{rows}-excel-layout.xlsx"
    write_excel_layout(rows, codes, excel)
    csv_path = directory / f"workers-{rows}.csv"
    with csv_path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        for n in range(rows):
            values = row(n, codes)
            values[-1] = values[-1].isoformat()
            writer.writerow(values)
    return {"xlsx (openpyxl)": xlsx, "xlsx (Excel layout)": excel, "csv": csv_path}


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def write_excel_layout(rows: int, codes: list[str], path: Path) -> None:
    """The same rows laid out as Excel saves them: shared strings, a dimension, dates as styled serials.

    openpyxl writes inline strings and no dimension, which makes openpyxl's reader scan the sheet twice;
    files from Excel or WPS look like this one.
    """
    import zipfile
    from xml.sax.saxutils import escape

    strings: dict[str, int] = {}

    def cell(ref: str, value) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, datetime.date):
            return f'<c r="{ref}" s="1"><v>{(value - datetime.date(1899, 12, 30)).days}</v></c>'
        index = strings.setdefault(value, len(strings))
        return f'<c r="{ref}" t="s"><v>{index}</v></c>'

    letters = "ABCDEFGHIJ"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{_MAIN}" '
                f'xmlns:r="{_REL}"><dimension ref="A1:J{rows + 1}"/><sheetData>'.encode()
            )
            for number in range(rows + 1):
                values = HEADERS if number == 0 else row(number - 1, codes)
                cells = "".join(cell(f"{letters[i]}{number + 1}", v) for i, v in enumerate(values))
                sheet.write(f'<row r="{number + 1}" spans="1:10">{cells}</row>'.encode())
            sheet.write(b"</sheetData></worksheet>")
        shared = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
        book.writestr(
            "xl/sharedStrings.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}" count="{len(strings)}" '
            f'uniqueCount="{len(strings)}">{shared}</sst>',
        )
        book.writestr(
            "xl/styles.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{_MAIN}"><fonts count="1"><font>'
            '<sz val="11"/><name val="等线"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/>'
            '</fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0" '
            'fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" '
            'fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" '
            'applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" '
            'builtinId="0"/></cellStyles></styleSheet>',
        )
        book.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            '<sheet name="职工" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PACKAGE_RELS}">'
            f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL}/styles" Target="styles.xml"/></Relationships>',
        )
        book.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PACKAGE_RELS}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        book.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/></Types>',
        )


def register_enterprises(count: int) -> list[str]:
    from portal.models import District
    from seed.identifiers import demo_credit_code
    from workers.models import Enterprise

    districts = dict(District.objects.values_list("code", "id"))
    firms = [
        Enterprise(
            name=f"宁波基准企业{n}",
            credit_code=demo_credit_code(DISTRICTS[n % 10], n + 1),
            district_id=districts[DISTRICTS[n % 10]],
        )
        for n in range(count)
    ]
    Enterprise.objects.bulk_create(firms, batch_size=5000)
    return [f.credit_code for f in firms]


def empty_registry() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE workers_employment, workers_worker, portal_auditevent RESTART IDENTITY CASCADE"
        )


def run(path: Path, *, write: bool):
    from portal.spreadsheets import run_import
    from workers.importers.worker import WorkerImporter

    with path.open("rb") as stream, stopwatch() as elapsed:
        outcome = run_import(WorkerImporter(), stream, path.name, write=write)
    assert outcome.bad == 0, outcome.errors[:5]
    return outcome, elapsed[0]


def copy_limit(path: Path) -> dict:
    """COPY the imported rows, already encrypted and hashed, into empty copies of the two tables."""
    from django.db import connection

    worker_columns = [
        "name", "id_number", "id_number_hash", "birth_date", "gender", "phone", "phone_hash", "bank_account",
        "enterprise_id", "district_id", "occupation", "position", "education", "union_member", "hired_on",
        "left_on", "skill_level", "created_at", "updated_at",
    ]  # fmt: skip
    employment_columns = ["worker_id", "enterprise_id", "district_id", "position", "started_on", "ended_on"]
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_worker, bench_employment")
        cursor.execute("CREATE TABLE bench_worker (LIKE workers_worker INCLUDING ALL)")
        cursor.execute("CREATE TABLE bench_employment (LIKE workers_employment INCLUDING ALL)")
        # The rows the import wrote, as stored (ciphertext and hashes): no Python work in the timed part.
        cursor.execute(f"SELECT {', '.join(worker_columns)} FROM workers_worker ORDER BY id")
        workers = cursor.fetchall()
        cursor.execute(f"SELECT {', '.join(employment_columns)} FROM workers_employment ORDER BY id")
        employments = cursor.fetchall()
    pg = connection.connection
    with stopwatch() as elapsed, pg.transaction(), pg.cursor() as cursor:
        with cursor.copy(f"COPY bench_worker ({', '.join(worker_columns)}) FROM STDIN") as copy:
            for values in workers:
                copy.write_row(values)
        with cursor.copy(f"COPY bench_employment ({', '.join(employment_columns)}) FROM STDIN") as copy:
            for values in employments:
                copy.write_row(values)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_worker, bench_employment")
    return {"rows": len(workers), "seconds": elapsed[0]}


def high_water_mb() -> float:
    """Peak RSS of this process image (VmHWM): unlike ru_maxrss it does not count the parent's before exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return peak_rss_mb()


def memory_child(url: str, path: Path) -> None:
    """In a fresh process: import one file, print the peak RSS before and after as JSON."""
    django_setup(url)
    from django.conf import settings

    settings.DEBUG = False
    empty_registry()
    before = high_water_mb()
    outcome, seconds = run(path, write=True)
    peak = high_water_mb()
    # A second run under tracemalloc: the Python memory the import itself holds at its peak.
    empty_registry()
    tracemalloc.start()
    run(path, write=True)
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(
        json.dumps(
            {"rows": outcome.total, "before": before, "peak": peak, "traced": traced, "seconds": seconds}
        )
    )


def measure_memory(url: str, size: int, codes: list[str], directory: Path) -> dict:
    files = write_files(size, codes, directory)
    result = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(files["xlsx (Excel layout)"]), "--url", url],
        check=True,
        capture_output=True,
        text=True,
        env=bench_environment(url),
        cwd=ROOT,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each measurement; the best counts")
    parser.add_argument("--memory-sizes", default="10000,100000", help="comma-separated row counts")
    parser.add_argument(
        "--database", default="portal_import_bench", help="created and dropped by the benchmark"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.url, Path(args.memory_child))
        return

    sizes = [int(s) for s in args.memory_sizes.split(",") if s.strip()]
    print(f"import benchmark: {args.rows:,} worker rows, XLSX and CSV")
    with (
        scratch_database(server_url(), args.database, keep=args.keep) as url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        print(f"database {args.database}: migrate {migrate(url):.1f} s")
        django_setup(url)
        from django.conf import settings

        settings.DEBUG = False  # no query log growing with every statement
        enterprise_count = max(1, max(args.rows, *sizes) // WORKERS_PER_ENTERPRISE)
        codes = register_enterprises(enterprise_count)
        directory = Path(tmp)
        with stopwatch() as made:
            files = write_files(args.rows, codes, directory)
        sizes_text = ", ".join(f"{fmt} {p.stat().st_size / 1e6:.1f} MB" for fmt, p in files.items())
        print(f"{enterprise_count:,} enterprises; files written in {made[0]:.1f} s ({sizes_text})")

        results = {}
        for fmt, path in files.items():
            # Best of --repeat runs each: the machine may be shared, and noise only ever slows a run.
            empty_registry()
            check, check_seconds = min(
                (run(path, write=False) for _ in range(args.repeat)), key=lambda r: r[1]
            )
            full = again = None
            for _ in range(args.repeat):
                empty_registry()
                outcome, seconds = run(path, write=True)
                if full is None or seconds < full[1]:
                    full = (outcome, seconds)
                outcome, seconds = run(path, write=True)
                if again is None or seconds < again[1]:
                    again = (outcome, seconds)
            assert again[0].unchanged == full[0].new == args.rows, (again[0].unchanged, full[0].new)
            (full, full_seconds), (again, again_seconds) = full, again
            results[fmt] = (check, check_seconds, full, full_seconds, again, again_seconds)
            print(
                f"  {fmt}: checked in {check_seconds:.1f} s, imported in {full_seconds:.1f} s, re-imported in {again_seconds:.1f} s"
            )
        limit = copy_limit(files["csv"])
        memory = [measure_memory(url, size, codes, directory) for size in sizes]
        report(args.rows, results, limit, memory)


def report(rows: int, results: dict, limit: dict, memory: list[dict]) -> None:
    copy_rate = limit["rows"] / limit["seconds"]
    print()
    print(f"physical limit: COPY of {limit['rows']:,} workers + their employments, pre-encrypted, into")
    print(
        f"scratch copies of the tables (LIKE ... INCLUDING ALL): {limit['seconds']:.2f} s = {copy_rate:,.0f} workers/s"
    )
    print()
    print("| file | validated rows/s (check only) | import: check + write | written rows/s (write phase) | "
          "import rows/s overall | ratio write / COPY | ratio overall / COPY | re-import (unchanged) rows/s |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for fmt, (_check, check_seconds, full, full_seconds, _again, again_seconds) in results.items():
        written = rows / full.write_seconds
        overall = rows / full_seconds
        print(
            f"| {fmt} | {rows / check_seconds:,.0f} | {full.check_seconds:.1f} + {full.write_seconds:.1f} s | "
            f"{written:,.0f} | {overall:,.0f} | {written / copy_rate:.2f} | {overall / copy_rate:.2f} | "
            f"{rows / again_seconds:,.0f} |"
        )
    print()
    print("peak memory of a full import of the Excel-layout XLSX in a fresh process:")
    for m in memory:
        print(
            f"  {m['rows']:>9,} rows: RSS {m['before']:.0f} MB after start-up, {m['peak']:.0f} MB peak; "
            f"Python allocations at the import's peak (tracemalloc) {m['traced']:.1f} MB ({m['seconds']:.1f} s)"
        )


if __name__ == "__main__":
    main()
