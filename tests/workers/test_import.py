"""Spreadsheet imports: Chinese headers, every kind of bad row, all-or-nothing, idempotent, scoped, in the admin."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from portal.choices import JobStatus
from portal.models import AuditEvent, Job
from portal.spreadsheets import FileProblem, run_import
from tests.conftest import PASSWORD
from tests.factories import EnterpriseFactory, district, make_credit_code, make_id_number, register_worker
from workers.choices import SkillLevel
from workers.importers.award import CraftsmanAwardImporter
from workers.importers.certificate import SkillCertificateImporter
from workers.importers.enterprise import EnterpriseImporter
from workers.importers.worker import WorkerImporter
from workers.models import CraftsmanAward, Employment, Enterprise, SkillCertificate, Worker
from workers.services import worker_by_id_number

WORKER_HEADERS = [
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


# --- Building real files --------------------------------------------------------------------------------


def xlsx(rows, headers=WORKER_HEADERS, *, title_rows=()) -> bytes:
    book = Workbook()
    sheet = book.active
    for title in title_rows:
        sheet.append(title)
    sheet.append(headers)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, headers=WORKER_HEADERS, *, encoding="utf-8", delimiter=",") -> bytes:
    lines = [delimiter.join(headers)] + [
        delimiter.join("" if v is None else str(v) for v in row) for row in rows
    ]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def check(importer_class, content: bytes, name="职工.xlsx", *, user=None, write=True, valid_only=False):
    return run_import(
        importer_class(user=user), io.BytesIO(content), name, write=write, valid_only=valid_only
    )


def worker_row(firm, sequence=1, **overrides):
    row = {
        "姓名": f"职工{sequence}",
        "身份证号": make_id_number("230103", "19950310", sequence),
        "手机号": f"138{sequence:08d}",
        "银行账号": "",
        "企业统一社会信用代码": firm.credit_code,
        "职业": "焊工",
        "岗位": "",
        "学历": "高中",
        "是否工会会员": "是",
        "入职日期": "2020-03-01",
    }
    row.update(overrides)
    return [row[h] for h in WORKER_HEADERS]


def errors_of(outcome):
    return {(e.row, e.column): e.message for e in outcome.errors}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploads, error reports and exports land in a directory of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def firms(db):
    return {
        "beilun": EnterpriseFactory(district=district("330206")),
        "beilun2": EnterpriseFactory(district=district("330206")),
        "haishu": EnterpriseFactory(district=district("330203")),
    }


# --- Workers: the good path -------------------------------------------------------------------------------


def test_a_worker_file_with_chinese_headers_registers_workers_with_employment_and_district(firms, city_clerk):
    content = xlsx([worker_row(firms["beilun"], 1), worker_row(firms["haishu"], 2, 岗位="班组长")])
    outcome = check(WorkerImporter, content, user=city_clerk)

    assert (outcome.new, outcome.bad, outcome.committed) == (2, 0, True)
    first = worker_by_id_number(make_id_number("230103", "19950310", 1))
    second = worker_by_id_number(make_id_number("230103", "19950310", 2))
    assert first.district == firms["beilun"].district and second.district == firms["haishu"].district
    assert first.phone == "13800000001" and first.union_member and first.education == "senior_secondary"
    assert (first.birth_date, first.gender) == (
        datetime.date(1995, 3, 10),
        "F" if int(first.id_number[16]) % 2 == 0 else "M",
    )
    spell = Employment.objects.get(worker=second)
    assert (spell.enterprise, spell.district, spell.position, spell.started_on, spell.ended_on) == (
        firms["haishu"],
        firms["haishu"].district,
        "班组长",
        datetime.date(2020, 3, 1),
        None,
    )
    event = AuditEvent.objects.get(action="import.workers")
    assert event.actor == city_clerk and event.data["new"] == 2 and event.data["file"] == "职工.xlsx"
    assert first.id_number not in str(event.data)


def test_values_are_normalised_the_way_the_services_do(firms):
    number = next(n for s in range(1, 500) if (n := make_id_number("330282", "19730405", s)).endswith("X"))
    spaced = " ".join([number[:6], number[6:14], number[14:].lower()])
    full_width = make_id_number("230103", "19900101", 7).translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    rows = [
        worker_row(
            firms["beilun"],
            1,
            身份证号=spaced,
            手机号="+86 138-1234-5678",
            入职日期="2019/3/5",
            是否工会会员="否",
        ),
        worker_row(firms["beilun"], 2, 身份证号=full_width, 入职日期="2019年3月5日", 是否工会会员="√"),
        # Invisible characters copied from a web page, and an Excel date serial (43529 is 2019-03-05).
        worker_row(
            firms["beilun"],
            3,
            身份证号="\u200b" + make_id_number("230103", "19920101", 8) + " ",
            入职日期=43529,
        ),
        worker_row(firms["beilun"], 4, 入职日期=datetime.datetime(2019, 3, 5), 手机号=13900001111),
    ]
    outcome = check(WorkerImporter, xlsx(rows))
    assert outcome.bad == 0, outcome.errors
    first = worker_by_id_number(number)
    assert first.id_number == number and first.phone == "13812345678" and not first.union_member
    assert first.hired_on == datetime.date(2019, 3, 5)
    assert worker_by_id_number(make_id_number("230103", "19900101", 7)).hired_on == datetime.date(2019, 3, 5)
    assert worker_by_id_number(make_id_number("230103", "19920101", 8)).hired_on == datetime.date(2019, 3, 5)
    assert worker_by_id_number(make_id_number("230103", "19950310", 4)).phone == "13900001111"


# --- Workers: bad rows ------------------------------------------------------------------------------------


def _bad_checksum():
    good = make_id_number("230103", "19950310", 1)
    return good[:-1] + ("1" if good[-1] == "0" else "0")


@pytest.mark.parametrize(
    ("kind", "overrides", "column", "expected"),
    [
        ("bad checksum", {"身份证号": _bad_checksum()}, "身份证号", "校验位"),
        (
            "impossible birth date",
            {"身份证号": make_id_number("230103", "19950230", 1)},
            "身份证号",
            "不是有效日期",
        ),
        ("impossible hire date", {"入职日期": "2019-02-30"}, "入职日期", "不是有效日期"),
        ("Excel-rounded ID", {"身份证号": 2.30103199503101e17}, "身份证号", "Excel"),
        ("under 16 at hire", {"入职日期": "2010-03-01"}, "入职日期", "16"),
        ("bad phone", {"手机号": "1381234"}, "手机号", "手机号码应为11位"),
        (
            "unknown enterprise",
            {"企业统一社会信用代码": make_credit_code(999_999)},
            "企业统一社会信用代码",
            None,
        ),
        ("bad credit code", {"企业统一社会信用代码": "91330206ABCDEFGH12"}, "企业统一社会信用代码", None),
        ("bad education", {"学历": "幼儿园"}, "学历", "小学及以下"),
        ("bad yes/no", {"是否工会会员": "也许"}, "是否工会会员", "也许"),
        ("missing name", {"姓名": ""}, "姓名", None),
    ],
)
def test_each_kind_of_bad_row_is_reported_with_row_column_and_message(
    firms, kind, overrides, column, expected
):
    rows = [worker_row(firms["beilun"], 5), worker_row(firms["beilun"], 1, **overrides)]
    outcome = check(WorkerImporter, xlsx(rows))
    assert outcome.bad == 1 and outcome.rejected and not outcome.committed
    found = errors_of(outcome)
    assert (3, column) in found, found  # the header is row 1, so the second data row is row 3
    if expected:
        assert expected in found[(3, column)]
    assert not Worker.objects.exists()  # nothing is written while any row is bad


def test_a_duplicate_within_the_file_names_the_first_row(firms):
    rows = [
        worker_row(firms["beilun"], 1),
        worker_row(firms["beilun"], 2),
        worker_row(firms["beilun"], 1, 姓名="重复"),
    ]
    outcome = check(WorkerImporter, xlsx(rows))
    assert list(errors_of(outcome)) == [(4, "身份证号")]
    assert "2" in errors_of(outcome)[(4, "身份证号")]


def test_a_district_clerk_may_import_only_rows_of_their_district(firms, beilun_clerk):
    rows = [worker_row(firms["beilun"], 1), worker_row(firms["haishu"], 2)]
    outcome = check(WorkerImporter, xlsx(rows), user=beilun_clerk, valid_only=True)
    assert errors_of(outcome).keys() == {(3, "企业统一社会信用代码")}
    assert list(Worker.objects.values_list("district__code", flat=True)) == ["330206"]


def test_a_district_clerk_cannot_change_a_worker_of_another_district(firms, beilun_clerk):
    register_worker(firms["haishu"], sequence=1, birth="19950310")
    outcome = check(WorkerImporter, xlsx([worker_row(firms["beilun"], 1)]), user=beilun_clerk)
    assert errors_of(outcome).keys() == {(2, "身份证号")}
    assert Worker.objects.get().district == firms["haishu"].district


def test_valid_rows_only_writes_exactly_the_good_rows(firms):
    rows = [
        worker_row(firms["beilun"], 1),
        worker_row(firms["beilun"], 2, 手机号="12345"),
        worker_row(firms["beilun"], 3),
        worker_row(firms["beilun"], 1, 姓名="重复"),
    ]
    outcome = check(WorkerImporter, xlsx(rows), valid_only=True)
    assert (outcome.new, outcome.bad, outcome.committed) == (2, 2, True)
    assert sorted(Worker.objects.values_list("name", flat=True)) == ["职工1", "职工3"]
    assert Employment.objects.count() == 2


# --- Re-import --------------------------------------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing(firms):
    content = xlsx([worker_row(firms["beilun"], n) for n in range(1, 6)])
    assert check(WorkerImporter, content).new == 5
    before = list(Worker.objects.order_by("pk").values_list("pk", "updated_at", "phone_hash"))
    again = check(WorkerImporter, content)
    assert (again.new, again.updated, again.unchanged, again.bad) == (0, 0, 5, 0)
    assert list(Worker.objects.order_by("pk").values_list("pk", "updated_at", "phone_hash")) == before
    assert Employment.objects.count() == 5


def test_a_changed_phone_is_updated_with_its_hash_and_blank_cells_keep_values(firms):
    check(WorkerImporter, xlsx([worker_row(firms["beilun"], 1, 银行账号="6222021234567890123")]))
    outcome = check(WorkerImporter, xlsx([worker_row(firms["beilun"], 1, 手机号="139-0000-2222", 职业="")]))
    assert (outcome.updated, outcome.unchanged) == (1, 0)
    worker = Worker.objects.get()
    assert worker.phone == "13900002222" and worker.occupation == "焊工"
    assert worker.bank_account == "6222021234567890123"
    assert Worker.objects.filter(
        phone_hash=Worker._meta.get_field("phone_hash").index_for("13900002222")
    ).exists()


def test_a_changed_enterprise_moves_the_worker_and_keeps_the_history(firms):
    check(WorkerImporter, xlsx([worker_row(firms["beilun"], 1, 岗位="焊工")]))
    moved = xlsx([worker_row(firms["haishu"], 1, 岗位="班组长", 入职日期="2023-07-01")])
    outcome = check(WorkerImporter, moved)
    assert outcome.updated == 1 and outcome.bad == 0
    worker = Worker.objects.get()
    assert (worker.enterprise, worker.district, worker.position, worker.hired_on) == (
        firms["haishu"],
        firms["haishu"].district,
        "班组长",
        datetime.date(2023, 7, 1),
    )
    history = list(
        worker.employments.order_by("started_on").values_list("enterprise", "started_on", "ended_on")
    )
    assert history == [
        (firms["beilun"].pk, datetime.date(2020, 3, 1), datetime.date(2023, 7, 1)),
        (firms["haishu"].pk, datetime.date(2023, 7, 1), None),
    ]
    again = check(WorkerImporter, moved)
    assert (again.unchanged, worker.employments.count()) == (1, 2)


def test_a_move_that_starts_before_the_current_employment_is_a_bad_row(firms):
    check(WorkerImporter, xlsx([worker_row(firms["beilun"], 1, 入职日期="2020-03-01")]))
    outcome = check(WorkerImporter, xlsx([worker_row(firms["haishu"], 1, 入职日期="2019-01-01")]))
    assert errors_of(outcome).keys() == {(2, "入职日期")}
    assert Worker.objects.get().enterprise == firms["beilun"]


# --- Files that cannot be read ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (b"", "职工.xlsx", "文件为空"),
        (b"%PDF-1.4 something", "职工.pdf", ".xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "职工.xls", ".xls"),
        (b"not a zip at all", "职工.xlsx", "Excel"),
        ("姓名,手机号\r\n张三,13800000000\r\n".encode(), "职工.csv", "身份证号"),
        (xlsx([], headers=WORKER_HEADERS), "职工.xlsx", "没有数据行"),
    ],
)
def test_a_file_that_cannot_be_read_gets_one_clear_message(db, content, name, expected):
    with pytest.raises(FileProblem) as problem:
        check(WorkerImporter, content, name)
    assert expected in problem.value.message


def test_the_missing_header_message_names_the_expected_and_the_missing_headers(db):
    with pytest.raises(FileProblem) as problem:
        check(WorkerImporter, xlsx([["张三", "13800000000"]], headers=["姓名", "手机号"]))
    message = problem.value.message
    assert "企业统一社会信用代码" in message and "入职日期" in message and "身份证号" in message


def test_headers_tolerate_spaces_full_width_characters_title_rows_and_extra_columns(firms):
    headers = [f" {h} " for h in WORKER_HEADERS] + ["备注"]
    headers[0] = "＊姓名"
    content = xlsx([[*worker_row(firms["beilun"], 1), "x"]], headers=headers, title_rows=[["2024年职工名册"]])
    outcome = check(WorkerImporter, content)
    assert (outcome.new, outcome.bad) == (1, 0)


# --- CSV --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8", ","), ("utf-8-sig", ","), ("gb18030", ","), ("utf-16", "\t")],
    ids=["utf-8", "utf-8 with BOM", "gb18030 (Chinese Excel)", "utf-16 tab-separated (Excel Unicode text)"],
)
def test_csv_files_in_utf8_with_or_without_bom_and_in_gb18030_import(firms, encoding, delimiter):
    rows = [worker_row(firms["beilun"], 1, 姓名="张金达", 学历="大专")]
    outcome = check(WorkerImporter, csv_bytes(rows, encoding=encoding, delimiter=delimiter), "职工.csv")
    assert (outcome.new, outcome.bad) == (1, 0), outcome.errors
    assert Worker.objects.get().name == "张金达"


def test_a_csv_id_number_that_excel_wrote_in_scientific_notation_is_a_bad_row(firms):
    outcome = check(
        WorkerImporter, csv_bytes([worker_row(firms["beilun"], 1, 身份证号="2.30103E+17")]), "职工.csv"
    )
    assert "Excel" in errors_of(outcome)[(2, "身份证号")]


# --- The error report -------------------------------------------------------------------------------------


def test_the_error_report_holds_the_bad_rows_as_they_were_with_an_error_column(firms):
    rows = [
        worker_row(firms["beilun"], 1),
        worker_row(firms["beilun"], 2, 手机号="12345", 入职日期="2019-02-30"),
    ]
    outcome = check(WorkerImporter, xlsx(rows))
    sheet = load_workbook(outcome.report).worksheets[0]
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert table[0] == [*WORKER_HEADERS, "错误"]
    assert len(table) == 2
    assert table[1][:2] == ["职工2", make_id_number("230103", "19950310", 2)]
    assert "3" in table[1][-1] and "手机号" in table[1][-1] and "入职日期" in table[1][-1]


# --- Enterprises, certificates, awards ------------------------------------------------------------------

ENTERPRISE_HEADERS = [
    "企业名称",
    "统一社会信用代码",
    "所在区（县、市）",
    "地址",
    "所有制",
    "是否规上企业",
    "工会成立日期",
    "规模",
    "产改试点",
]


def test_enterprises_import_by_district_name_or_code_and_update_on_reimport(db, city_clerk):
    rows = [
        [
            "宁波甲机械有限公司",
            make_credit_code(101),
            "北仑区",
            "",
            "非公",
            "是",
            "2015/5/1",
            "中型",
            "市级试点",
        ],
        ["宁波乙电子有限公司", make_credit_code(102), "330203", "解放路1号", "公有", "否", "", "小型", ""],
    ]
    outcome = check(EnterpriseImporter, xlsx(rows, ENTERPRISE_HEADERS), "企业.xlsx", user=city_clerk)
    assert (outcome.new, outcome.bad) == (2, 0), outcome.errors
    first = Enterprise.objects.get(credit_code=make_credit_code(101))
    assert (first.district.code, first.ownership, first.above_scale, first.size_band, first.pilot_level) == (
        "330206",
        "non_public",
        True,
        "medium",
        "city",
    )
    assert first.union_established_on == datetime.date(2015, 5, 1)
    rows[1][0] = "宁波乙电子股份有限公司"
    again = check(EnterpriseImporter, xlsx(rows, ENTERPRISE_HEADERS), "企业.xlsx", user=city_clerk)
    assert (again.new, again.updated, again.unchanged) == (0, 1, 1)
    assert Enterprise.objects.get(credit_code=make_credit_code(102)).name == "宁波乙电子股份有限公司"


def test_an_enterprise_of_another_district_is_a_bad_row_for_a_district_clerk(db, beilun_clerk):
    rows = [["宁波丙有限公司", make_credit_code(103), "海曙区", "", "", "", "", "", ""]]
    outcome = check(EnterpriseImporter, xlsx(rows, ENTERPRISE_HEADERS), user=beilun_clerk)
    assert errors_of(outcome).keys() == {(2, "所在区（县、市）")}


CERTIFICATE_HEADERS = ["身份证号", "证书编号", "职业", "等级", "发证机构", "发证日期"]


def test_certificates_import_and_refresh_the_skill_level(firms):
    worker = register_worker(firms["beilun"], sequence=1)
    rows = [
        [worker.id_number, "C-001", "焊工", "中级工", "宁波市职业技能鉴定中心", "2021-06-01"],
        [worker.id_number, "C-002", "焊工", "三级", "", "2023/6/1"],
    ]
    outcome = check(SkillCertificateImporter, xlsx(rows, CERTIFICATE_HEADERS), "证书.xlsx")
    assert (outcome.new, outcome.bad) == (2, 0), outcome.errors
    worker.refresh_from_db()
    assert worker.skill_level == SkillLevel.SENIOR
    again = check(SkillCertificateImporter, xlsx(rows, CERTIFICATE_HEADERS), "证书.xlsx")
    assert (again.new, again.unchanged, SkillCertificate.objects.count()) == (0, 2, 2)


def test_certificate_rows_for_unknown_workers_or_taken_numbers_are_bad(firms):
    worker = register_worker(firms["beilun"], sequence=1)
    check(
        SkillCertificateImporter,
        xlsx([[worker.id_number, "C-001", "焊工", "初级工", "", "2021-06-01"]], CERTIFICATE_HEADERS),
    )
    rows = [
        [make_id_number("230103", "19800101", 9), "C-009", "焊工", "初级工", "", "2021-06-01"],
        [worker.id_number, "C-001", "电工", "初级工", "", "2021-06-01"],
        [worker.id_number, "C-010", "电工", "大师", "", "2021-06-01"],
        [worker.id_number, "C-011", "电工", "技师", "", "2999-01-01"],
    ]
    outcome = check(SkillCertificateImporter, xlsx(rows, CERTIFICATE_HEADERS))
    assert errors_of(outcome).keys() == {(2, "身份证号"), (3, "证书编号"), (4, "等级"), (5, "发证日期")}


AWARD_HEADERS = ["身份证号", "称号", "年度", "是否本土培养", "推荐方式"]


def test_awards_import_once(firms):
    worker = register_worker(firms["beilun"], sequence=1)
    rows = [
        [worker.id_number, "宁波工匠", 2021, "是", "单位推荐"],
        [worker.id_number, "不存在的称号", "2022", "否", "个人自荐"],
    ]
    outcome = check(CraftsmanAwardImporter, xlsx(rows, AWARD_HEADERS), "工匠.xlsx", valid_only=True)
    assert (outcome.new, outcome.bad) == (1, 1) and errors_of(outcome).keys() == {(3, "称号")}
    award = CraftsmanAward.objects.get()
    assert (award.year, award.locally_trained, award.nominated_by) == (2021, True, "employer")
    again = check(CraftsmanAwardImporter, xlsx(rows[:1], AWARD_HEADERS), "工匠.xlsx")
    assert (again.unchanged, CraftsmanAward.objects.count()) == (1, 1)


# --- The admin: upload, preview, confirm; big files in the background --------------------------------------


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def upload(name, content):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_the_admin_flow_uploads_previews_and_confirms(client, beilun_clerk, firms):
    login(client, beilun_clerk)
    url = "/admin/workers/worker/import/"
    assert client.get(url).status_code == 200
    content = xlsx([worker_row(firms["beilun"], 1), worker_row(firms["beilun"], 2)])
    response = client.post(url, {"file": upload("职工.xlsx", content)})
    assert response.status_code == 302, response.content.decode()[:3000]
    preview = client.get(response["Location"])
    html = preview.content.decode()
    assert preview.status_code == 200 and "职工1" in html
    assert make_id_number("230103", "19950310", 1) not in html  # masked in the preview
    assert not Worker.objects.exists()
    job = Job.objects.get()
    assert job.input_file and job.status == JobStatus.PENDING
    confirmed = client.post(response["Location"], {"confirm": "1"})
    assert confirmed.status_code == 302
    assert Worker.objects.count() == 2
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.result["new"] == 2


def test_the_admin_preview_lists_errors_and_offers_the_report(client, beilun_clerk, firms):
    login(client, beilun_clerk)
    content = xlsx([worker_row(firms["beilun"], 1), worker_row(firms["haishu"], 2)])
    response = client.post("/admin/workers/worker/import/", {"file": upload("职工.xlsx", content)})
    html = client.get(response["Location"]).content.decode()
    assert "企业统一社会信用代码" in html and "/download/" in html
    job = Job.objects.get()
    report = client.get(f"/jobs/{job.pk}/download/")
    sheet = load_workbook(io.BytesIO(b"".join(report.streaming_content))).worksheets[0]
    assert [c.value for c in sheet[1]][-1] == "错误"


def test_the_admin_rejects_a_wrong_file_with_one_message(client, beilun_clerk):
    login(client, beilun_clerk)
    response = client.post("/admin/workers/worker/import/", {"file": upload("照片.png", b"\x89PNG\r\n")})
    assert response.status_code == 200
    assert ".xlsx" in response.content.decode()
    assert not Job.objects.exists()


def test_officials_cannot_import(client, firms, beilun_official):
    with pytest.raises(PermissionDenied):
        check(WorkerImporter, xlsx([worker_row(firms["beilun"], 1)]), user=beilun_official)
    client.login(username=beilun_official.username, password=PASSWORD)
    assert client.get("/admin/workers/worker/import/").status_code != 200  # not even in the admin
    assert not Worker.objects.exists()


def test_the_template_has_the_headers_and_the_rules(client, beilun_clerk):
    login(client, beilun_clerk)
    response = client.get("/admin/workers/worker/import/template/")
    book = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in book.worksheets[0][1]] == WORKER_HEADERS
    rules = [r[0] for r in book.worksheets[1].iter_rows(values_only=True)]
    assert "身份证号" in rules


def test_a_big_file_runs_as_a_job_inline_in_the_embedded_default(
    client, beilun_clerk, firms, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_BACKGROUND_ROWS = 3
    login(client, beilun_clerk)
    content = xlsx([worker_row(firms["beilun"], n) for n in range(1, 8)])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/workers/worker/import/", {"file": upload("职工.xlsx", content)})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.status == JobStatus.PENDING and job.result["phase"] == "checked"  # checked, not written
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/workers/worker/import/{job.pk}/", {"confirm": "1"})
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert (job.progress["checked"], job.progress["written"], job.progress["bad"]) == (7, 7, 0)
    assert Worker.objects.count() == 7 and not job.input_file


def test_a_big_file_with_bad_rows_writes_nothing_and_keeps_the_report(
    client, beilun_clerk, firms, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_BACKGROUND_ROWS = 1
    login(client, beilun_clerk)
    content = xlsx([worker_row(firms["beilun"], 1), worker_row(firms["beilun"], 2, 手机号="1")])
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/workers/worker/import/", {"file": upload("职工.xlsx", content)})
    job = Job.objects.get()
    assert job.status == JobStatus.PENDING and job.output_file and job.progress["bad"] == 1
    assert not Worker.objects.exists()
    page = client.get(f"/jobs/{job.pk}/", follow=True).content.decode()
    assert f"/jobs/{job.pk}/download/" in page


# --- Reading workbooks as Excel saves them ----------------------------------------------------------------


def excel_style_workbook(rows) -> bytes:
    """A workbook laid out as Excel writes it: shared strings, a dimension, a date style, a float ID."""
    import zipfile
    from xml.sax.saxutils import escape

    strings: list[str] = []

    def shared(text):
        if text not in strings:
            strings.append(text)
        return strings.index(text)

    def cell(ref, value):
        if value is None:
            return ""
        if isinstance(value, datetime.date):
            serial = (value - datetime.date(1899, 12, 30)).days
            return f'<c r="{ref}" s="1"><v>{serial}</v></c>'
        if isinstance(value, int | float):
            return f'<c r="{ref}"><v>{value!r}</v></c>'
        return f'<c r="{ref}" t="s"><v>{shared(value)}</v></c>'

    sheet_rows = []
    for number, values in enumerate([WORKER_HEADERS, *rows], start=1):
        cells = "".join(cell(f"{chr(65 + i)}{number}", v) for i, v in enumerate(values))
        sheet_rows.append(f'<row r="{number}" spans="1:10">{cells}</row>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{rel}">'
            '<sheets><sheet name="职工" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{rel}/styles" Target="styles.xml"/></Relationships>'
        ),
        "xl/styles.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{main}">'
            '<fonts count="1"><font><sz val="11"/><name val="等线"/></font></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border/></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}" xmlns:r="{rel}">'
            f'<dimension ref="A1:J{len(rows) + 1}"/><sheetData>{"".join(sheet_rows)}</sheetData></worksheet>'
        ),
    }
    parts["xl/sharedStrings.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{main}" count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
        + "</sst>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in parts.items():
            book.writestr(name, text)
    return buffer.getvalue()


def test_a_workbook_as_excel_saves_it_imports(firms):
    rows = [
        worker_row(firms["beilun"], 1, 入职日期=datetime.date(2019, 3, 5), 姓名="张&李"),
        # Excel turned this ID number into a rounded float: a bad row, not a wrong worker.
        worker_row(firms["beilun"], 2, 身份证号=float(make_id_number("230103", "19950310", 2))),
    ]
    outcome = check(WorkerImporter, excel_style_workbook(rows), valid_only=True)
    assert (outcome.new, outcome.bad) == (1, 1)
    assert "Excel" in errors_of(outcome)[(3, "身份证号")]
    worker = Worker.objects.get()
    assert (worker.name, worker.hired_on) == ("张&李", datetime.date(2019, 3, 5))


def test_the_fast_xlsx_reader_gives_what_openpyxl_gives(db):
    from portal.spreadsheets.xlsx import XlsxBook

    book = Workbook()
    sheet = book.active
    sheet.append(
        ["文本", 1, 2.5, True, False, datetime.date(2020, 1, 2), datetime.datetime(2020, 1, 2, 3, 4)]
    )
    sheet.append(['x & <y> "z"', None, "=1+1", "  空格  ", 1e20, -3, "'=A1"])
    sheet["C5"] = "跳过的行"
    buffer = io.BytesIO()
    book.save(buffer)
    excel = excel_style_workbook([["甲 & 乙", None, 3, datetime.date(2021, 5, 6), 2.30103199503101e17]])
    for content in (buffer.getvalue(), excel):
        opened = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        expected = [
            (number, list(row))
            for number, row in enumerate(opened.worksheets[0].iter_rows(values_only=True), start=1)
            if any(v is not None for v in row)
        ]
        fast = XlsxBook(io.BytesIO(content))
        scanned = [
            (number, values + [None] * (len(expected[0][1]) - len(values)))
            for number, values in fast.rows()
            if values
        ]
        fast.close()
        assert scanned == expected


def test_duplicates_and_writes_across_chunks(firms, monkeypatch):
    from portal.spreadsheets import pipeline

    monkeypatch.setattr(pipeline, "CHUNK_ROWS", 2)
    rows = [worker_row(firms["beilun"], n) for n in range(1, 6)] + [
        worker_row(firms["beilun"], 2, 姓名="又一个")
    ]
    outcome = check(WorkerImporter, xlsx(rows), valid_only=True)
    assert (outcome.new, outcome.bad) == (5, 1)
    assert errors_of(outcome).keys() == {(7, "身份证号")}
    assert Worker.objects.count() == 5 and Employment.objects.count() == 5


def _zip(parts: dict) -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        _zip({"word/document.xml": "<document/>", "[Content_Types].xml": "<Types/>"}),
        _zip(
            {
                "_rels/.rels": '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Relationships>&a;</Relationships>',
                "[Content_Types].xml": "<Types/>",
            }
        ),
    ],
    ids=["a zip that is no workbook", "a workbook part with a DTD"],
)
def test_a_zip_that_is_not_a_plain_workbook_is_refused(db, content):
    with pytest.raises(FileProblem) as problem:
        check(WorkerImporter, content, "职工.xlsx")
    assert ".xlsx" in problem.value.message
