"""Spreadsheet and Office uploads are refused before they unpack past the limits (finding 2 of issue 15:
an 800 KB workbook drove a web worker to 2.5 GB, and a row that never closed ran until it was killed).

Each bomb is a small file made here. It is read in a child process whose address space is capped at
its starting size + 200 MB (RLIMIT_AS): the reader must refuse it with a clear message, having unpacked
less than the limit, without ever reaching that cap. The defaults of the limits apply throughout.
"""

import io
import json
import os
import random
import struct
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.choices import JobStatus
from portal.models import Job
from portal.spreadsheets import FileProblem, import_job_create, import_job_run
from portal.spreadsheets.reading import damaged_message, open_table
from portal.uploads import PLAN_TYPES, ZipLimits, check_upload

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024
HEADERS = ["姓名", "身份证号码", "统一社会信用代码", "入职日期"]

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>'
)
PACKAGE_RELS = (
    '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
SHEET_HEAD = '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
SHEET_TAIL = "</sheetData></worksheet>"
STYLES = (
    '<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>'
)
STRINGS_HEAD = '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def header_row() -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{text}</t></is></c>' for i, text in enumerate(HEADERS)
    )
    return f'<row r="1">{cells}</row>'


def noisy(unit: str, size: int, seed: int = 1) -> list[bytes]:
    """``size`` bytes of ``unit`` repeated, a random token every ~1 KB: deflate packs it some 50-fold
    (under the ratio limit, so only the reader's own limits can stop it), in 1 MB chunks."""
    rng = random.Random(seed)
    block = (unit * (1024 // len(unit) + 1))[:1000]
    chunk = "".join(block + "".join(rng.choices("0123456789abcdef", k=24)) for _ in range(1024)).encode()
    return [chunk] * (size // len(chunk) + 1)


def package(parts: dict[str, object]) -> bytes:
    """A zip of ``parts``: text, or a list of byte chunks streamed into the part."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, content in parts.items():
            if isinstance(content, str):
                archive.writestr(name, content)
                continue
            with archive.open(name, "w", force_zip64=True) as part:
                for chunk in content:
                    part.write(chunk)
    return buffer.getvalue()


def workbook(*, sheet=None, styles=STYLES, strings=None, extra=None) -> bytes:
    parts = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": PACKAGE_RELS,
        "xl/workbook.xml": WORKBOOK,
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
        "xl/styles.xml": styles,
        "xl/sharedStrings.xml": strings or f"{STRINGS_HEAD}</sst>",
        "xl/worksheets/sheet1.xml": sheet or f"{SHEET_HEAD}{header_row()}{SHEET_TAIL}",
    }
    parts.update(extra or {})
    return package(parts)


def huge_styles() -> bytes:
    """A style sheet of 110 MB: some 7 million cell formats (Excel allows 64,000)."""
    body = noisy('<xf numFmtId="14" fontId="0"/>', 110 * MB)
    return workbook(
        styles=[
            b'<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<cellXfs count="9999999">',
            *body,
            b"</cellXfs></styleSheet>",
        ]
    )


def huge_shared_strings() -> bytes:
    """A shared-string table whose one string never ends: 110 MB of text in one <si>."""
    return workbook(strings=[STRINGS_HEAD.encode(), b"<si><t>", *noisy("Zhang San ", 110 * MB)])


def row_never_closes() -> bytes:
    """A sheet whose second row opens and never closes: 110 MB of cells."""
    return workbook(
        sheet=[
            (SHEET_HEAD + header_row() + '<row r="2">').encode(),
            *noisy('<c t="inlineStr"><is><t>张三</t></is></c>', 110 * MB),
        ]
    )


def too_many_entries() -> bytes:
    extra = {f"xl/media/image{n}.xml": "<x/>" for n in range(ZipLimits.from_settings().entries + 10)}
    return workbook(extra=extra)


def high_ratio_entry() -> bytes:
    """A sheet of 300 MB of spaces: some 300 KB packed, a ratio of about a thousand."""
    chunk = b" " * MB
    return workbook(sheet=[(SHEET_HEAD + header_row()).encode(), *([chunk] * 300), SHEET_TAIL.encode()])


def docx_bomb() -> bytes:
    """A Word document whose body unpacks to 600 MB of spaces."""
    chunk = b" " * (4 * MB)
    return package(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "_rels/.rels": PACKAGE_RELS.replace("xl/workbook.xml", "word/document.xml"),
            "word/document.xml": [b"<w:document>", *([chunk] * 150), b"</w:document>"],
        }
    )


BOMBS = {
    "huge styles": (huge_styles, "xlsx"),
    "huge shared strings": (huge_shared_strings, "xlsx"),
    "row that never closes": (row_never_closes, "xlsx"),
    "too many entries": (too_many_entries, "xlsx"),
    "high-ratio entry": (high_ratio_entry, "xlsx"),
    "docx bomb": (docx_bomb, "docx"),
}


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bombs")
    made = {}
    for name, (make, suffix) in BOMBS.items():
        path = folder / f"{name.replace(' ', '-')}.{suffix}"
        path.write_bytes(make())
        made[name] = path
    return made


CHILD = textwrap.dedent(
    """
    import json, os, resource, sys
    import django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.utils import translation

    translation.activate("en")  # the assertions read the English messages
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile
    from portal import uploads
    from portal.spreadsheets.reading import FileProblem, open_table

    unpacked = {"bytes": 0}
    read = uploads.ZipReader.read
    def counting(self, size=-1):
        data = read(self, size)
        unpacked["bytes"] += len(data)
        return data
    uploads.ZipReader.read = counting

    path = sys.argv[1]
    with open(path, "rb") as handle:
        data = handle.read()
    # Everything imported and the file in memory: from here on at most 200 MB more.
    with open("/proc/self/status") as status:
        size = next(int(line.split()[1]) for line in status if line.startswith("VmSize:")) * 1024
    cap = size + 200 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    outcome = {"cap": cap}
    try:
        if path.endswith(".docx"):
            upload = SimpleUploadedFile("plan.docx", data)
            uploads.check_upload(upload, allowed=uploads.PLAN_TYPES, max_bytes=100 * 1024 * 1024)
            outcome["accepted"] = True
        else:
            import io
            table = open_table(io.BytesIO(data), "bomb.xlsx", [("name", "姓名", True)])
            for _ in table.rows:
                pass
            table.close()
            outcome["accepted"] = True
    except FileProblem as problem:
        outcome["refused"] = problem.message
    except ValidationError as error:
        outcome["refused"] = " ".join(error.messages)
    except MemoryError:
        outcome["memory_error"] = True
    outcome["unpacked"] = unpacked["bytes"]
    print(json.dumps(outcome))
    """
)


def read_in_capped_child(path: Path) -> dict:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("UPLOAD_")}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        cwd=ROOT,
        env={**environment, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(autouse=True)
def _messages_in_english():
    """The assertions read the English messages (pages are Chinese by default)."""
    from django.utils import translation

    with translation.override("en"):
        yield


EXPECTED = {
    "huge styles": "xl/styles.xml",
    "huge shared strings": "xl/sharedStrings.xml",
    "row that never closes": "Row 2",
    "too many entries": "parts",
    "high-ratio entry": "times its packed size",
    "docx bomb": "times its packed size",
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_a_bomb_is_refused_before_it_unpacks_past_the_limits_in_bounded_memory(bombs, name):
    limits = ZipLimits.from_settings()
    path = bombs[name]
    assert path.stat().st_size < 5 * MB  # a small file…
    with zipfile.ZipFile(path) as archive:
        declared = sum(info.file_size for info in archive.infolist())
    assert declared > 100 * MB or len(archive.infolist()) > limits.entries  # …that unpacks past a limit

    outcome = read_in_capped_child(path)
    assert not outcome.get("memory_error"), outcome
    assert not outcome.get("accepted"), outcome
    assert EXPECTED[name] in outcome["refused"], outcome
    # Refused early: far less unpacked than the part, let alone the per-part limit.
    assert outcome["unpacked"] < min(declared, limits.entry_bytes) // 10, outcome


def test_a_lying_table_of_contents_is_caught_while_unpacking():
    """A part that unpacks to more than the directory says is cut at the declared size: damaged."""
    honest = workbook(sheet=SHEET_HEAD + header_row() + " " * (2 * MB) + SHEET_TAIL)
    data = bytearray(honest)
    position = 0
    while (position := data.find(b"PK\x01\x02", position)) != -1:  # each central directory entry
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46 : position + 46 + name_length] == b"xl/worksheets/sheet1.xml":
            struct.pack_into("<I", data, position + 24, 1024)  # its uncompressed size: 1 KB
        position += 4
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size == 1024
    with pytest.raises(FileProblem) as problem:
        table = open_table(io.BytesIO(bytes(data)), "lying.xlsx", [("name", "姓名", True)])
        for _ in table.rows:
            pass
    assert problem.value.message == damaged_message()


# --- Rows and cells over the limits, in files within every zip limit ------------------------------------


def sheet_with_rows(rows: list[str]) -> bytes:
    return workbook(sheet=SHEET_HEAD + header_row() + "".join(rows) + SHEET_TAIL)


def test_a_cell_over_the_limit_is_refused_naming_its_row_and_column(settings):
    long = "长" * (settings.UPLOAD_CELL_MAX_CHARS + 1)
    data = sheet_with_rows(
        ['<row r="2"><c r="A2" t="inlineStr"><is><t>张三</t></is></c></row>',
         f'<row r="3"><c r="A3" t="inlineStr"><is><t>李四</t></is></c><c r="B3" t="inlineStr"><is><t>{long}</t></is></c></row>']
    )  # fmt: skip
    table = open_table(io.BytesIO(data), "long.xlsx", [("name", "姓名", True)])
    with pytest.raises(FileProblem) as problem:
        list(table.rows)
    table.close()
    assert "Row 3" in problem.value.message and "column B" in problem.value.message


def test_a_row_over_the_limit_is_refused_naming_it(settings):
    settings.UPLOAD_ROW_MAX_KB = 16
    wide = "".join(f'<c r="A5" t="inlineStr"><is><t>{"x" * 100}</t></is></c>' for _ in range(200))
    data = sheet_with_rows(['<row r="2"><c r="A2"><v>1</v></c></row>', f'<row r="5">{wide}</row>'])
    table = open_table(io.BytesIO(data), "wide.xlsx", [("name", "姓名", True)])
    with pytest.raises(FileProblem) as problem:
        list(table.rows)
    table.close()
    assert "Row 5" in problem.value.message and "16 KB" in problem.value.message


def test_a_csv_row_whose_quote_never_closes_is_refused_naming_it(settings):
    settings.UPLOAD_ROW_MAX_KB = 16
    text = '姓名,身份证号码\n张三,1\n李四,"' + "x" * 40_000 + "\n" * 10 + "y" * 40_000
    table = open_table(io.BytesIO(text.encode()), "open-quote.csv", [("name", "姓名", True)])
    with pytest.raises(FileProblem) as problem:
        list(table.rows)
    table.close()
    assert "Row 3" in problem.value.message


def test_an_ordinary_workbook_with_dates_and_shared_strings_still_reads(settings):
    strings = f"{STRINGS_HEAD}<si><t>王五</t></si><si><r><t>赵</t></r><r><t>六</t></r></si></sst>"
    data = workbook(
        strings=strings,
        sheet=SHEET_HEAD
        + header_row()
        + '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="D2" s="1"><v>45000</v></c></row>'
        + '<row r="3"><c r="A3" t="s"><v>1</v></c><c r="D3" s="0"><v>45000</v></c></row>'
        + SHEET_TAIL,
    )
    table = open_table(
        io.BytesIO(data), "fine.xlsx", [("name", "姓名", True), ("hired_on", "入职日期", False)]
    )
    rows = list(table.rows)
    table.close()
    assert rows[0][1][0] == "王五" and rows[0][1][3].year == 2023
    assert rows[1][1][0] == "赵六" and rows[1][1][3] == 45000


# --- The upload paths: a clear error, never a 500; a refused job fails and loses its file --------------------


def test_check_upload_refuses_a_docx_bomb_with_a_clear_error(bombs):
    upload = SimpleUploadedFile("plan.docx", bombs["docx bomb"].read_bytes())
    with pytest.raises(ValidationError) as error:
        check_upload(upload, allowed=PLAN_TYPES, max_bytes=20 * MB, field="policy_plan_file")
    assert "times its packed size" in str(error.value)


def test_an_ordinary_docx_is_still_accepted():
    data = package(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "_rels/.rels": PACKAGE_RELS.replace("xl/workbook.xml", "word/document.xml"),
            "word/document.xml": "<w:document>" + "一企一策 " * 5000 + "</w:document>",
        }
    )
    upload = SimpleUploadedFile("plan.docx", data)
    assert check_upload(upload, allowed=PLAN_TYPES, max_bytes=20 * MB) is upload


def test_the_admin_import_page_refuses_a_bomb_with_a_clear_error(client, city_clerk, bombs):
    client.force_login(city_clerk)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the assertions read the English messages
    for name in ("huge styles", "row that never closes", "high-ratio entry"):
        upload = SimpleUploadedFile("职工.xlsx", bombs[name].read_bytes())
        response = client.post("/admin/workers/worker/import/", {"file": upload})
        assert response.status_code == 200, name
        assert EXPECTED[name] in " ".join(response.context["form"].errors["file"]), name
    assert not Job.objects.exists()


def test_a_background_import_of_a_refused_file_fails_with_the_reason_and_loses_its_file(
    city_clerk, bombs, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("职工.xlsx", bombs["row that never closes"].read_bytes())
    job = import_job_create(by=city_clerk, importer_key="workers", upload=upload, valid_only=False)
    stored = Path(job.input_file.path)
    assert stored.exists()
    import_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    # The job runs in its owner's language (Chinese here): the row and the limit, whatever the words.
    assert "2" in job.error and "1024 KB" in job.error, job.error
    assert not job.input_file and not stored.exists()


def test_the_limits_are_settings():
    limits = ZipLimits.from_settings()
    assert limits.entries == settings.UPLOAD_ZIP_MAX_ENTRIES
    assert limits.entry_bytes == settings.UPLOAD_ZIP_MAX_ENTRY_MB * MB
    assert limits.total_bytes == settings.UPLOAD_ZIP_MAX_TOTAL_MB * MB
    assert limits.ratio == settings.UPLOAD_ZIP_MAX_RATIO
