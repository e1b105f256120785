"""Importing training programs, enrolment lists and claims; exporting them masked.

The registry's behaviour throughout: bad rows reported by row and column, nothing written while any row is
bad (unless the valid rows only are asked for), the same file twice changes nothing, a clerk writes only
in their district. Claims are judged by the same rules as a claim entered on its page.
"""

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import translation
from freezegun import freeze_time
from openpyxl import Workbook, load_workbook

from portal.models import AuditEvent
from portal.spreadsheets import run_import
from tests.conftest import PASSWORD
from tests.factories import EnterpriseFactory, district, make_credit_code, register_worker
from training.choices import ClaimKind, ClaimStatus, EnrollmentStatus, ProgramType
from training.importers.claim import ClaimImporter
from training.importers.enrollment import EnrollmentImporter
from training.importers.program import TrainingProgramImporter
from training.models import Claim, Enrollment, TrainingProgram
from training.services.programs import apprenticeship_create
from workers.models import CraftsmanTitle
from workers.services import award_grant, certificate_issue, worker_change_employment

D = datetime.date


@pytest.fixture(autouse=True)
def _june_2025():
    with freeze_time("2025-06-10 10:00:00+08:00", tick=True):
        yield


def xlsx(headers, rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for values in rows:
        sheet.append([values.get(h) for h in headers])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run(importer_class, headers, rows, *, user=None, write=True, valid_only=False):
    content = xlsx(headers, rows)
    return run_import(
        importer_class(user=user), io.BytesIO(content), "名单.xlsx", write=write, valid_only=valid_only
    )


def errors_of(outcome):
    return {(e.row, e.column) for e in outcome.errors}


# --- Programs -------------------------------------------------------------------------------------------

PROGRAM_HEADERS = [
    "项目名称", "培训类型", "所在区（县、市）", "承办企业统一社会信用代码", "承办院校", "职业（工种）", "目标等级",
    "开始日期", "结束日期", "计划人数",
]  # fmt: skip


def program_row(**overrides):
    values = {
        "项目名称": "数控车工技能提升班",
        "培训类型": "岗位技能提升",
        "所在区（县、市）": "北仑区",
        "承办院校": "宁波职业技术学院",
        "职业（工种）": "数控车工",
        "目标等级": "高级工",
        "开始日期": "2025-03-01",
        "结束日期": "2025/6/30",
        "计划人数": 2,
    }
    values.update(overrides)
    return values


def test_programs_are_added_then_updated_on_name_district_and_start(beilun_firm):
    rows = [program_row(), program_row(项目名称="焊工学徒班", 培训类型="企业新型学徒制", 承办院校="",
                                       承办企业统一社会信用代码=beilun_firm.credit_code, 计划人数=None)]  # fmt: skip
    outcome = run(TrainingProgramImporter, PROGRAM_HEADERS, rows)
    assert (outcome.committed, outcome.new) == (True, 2)
    lathe = TrainingProgram.objects.get(name="数控车工技能提升班")
    assert (lathe.program_type, lathe.district.code, lathe.target_level, lathe.capacity) == (
        ProgramType.SKILL_UPGRADE, "330206", 4, 2,
    )  # fmt: skip
    welding = TrainingProgram.objects.get(name="焊工学徒班")
    assert (welding.provider_enterprise, welding.provider_school, welding.capacity) == (beilun_firm, "", None)

    again = run(TrainingProgramImporter, PROGRAM_HEADERS, rows)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    changed = run(TrainingProgramImporter, PROGRAM_HEADERS, [program_row(计划人数=40, 结束日期="2025-07-15")])
    assert (changed.new, changed.updated) == (0, 1)
    lathe.refresh_from_db()
    assert (lathe.capacity, lathe.ends_on) == (40, D(2025, 7, 15))
    assert TrainingProgram.objects.count() == 2
    assert AuditEvent.objects.filter(action="import.programs").count() == 3


def test_bad_program_rows_are_reported_by_column_and_nothing_is_written(db):
    rows = [
        program_row(),
        program_row(项目名称="A", 培训类型="打麻将"),
        program_row(项目名称="B", **{"所在区（县、市）": "杭州市"}),
        program_row(项目名称="C", 结束日期="2025-01-01"),
        program_row(项目名称="D", 承办院校=""),
        program_row(项目名称="E", 承办企业统一社会信用代码=make_credit_code(987)),
        program_row(),  # the first row again
        program_row(项目名称="F", 计划人数="三十"),
    ]
    outcome = run(TrainingProgramImporter, PROGRAM_HEADERS, rows)
    assert outcome.rejected and not outcome.committed
    assert errors_of(outcome) == {
        (3, "培训类型"), (4, "所在区（县、市）"), (5, "结束日期"), (6, "承办院校"), (7, "承办企业统一社会信用代码"),
        (8, "项目名称"), (9, "计划人数"),
    }  # fmt: skip
    assert TrainingProgram.objects.count() == 0
    partial = run(TrainingProgramImporter, PROGRAM_HEADERS, rows, valid_only=True)
    assert (partial.committed, partial.new, partial.bad) == (True, 1, 7)


def test_a_district_clerk_imports_programs_of_their_district_only(beilun_clerk):
    outcome = run(
        TrainingProgramImporter,
        PROGRAM_HEADERS,
        [program_row(**{"所在区（县、市）": "海曙区"})],
        user=beilun_clerk,
    )
    assert errors_of(outcome) == {(2, "所在区（县、市）")}
    assert TrainingProgram.objects.count() == 0


# --- Enrolments -----------------------------------------------------------------------------------------

ENROLLMENT_HEADERS = ["项目编号", "身份证号", "报名日期", "状态", "结业日期", "取得证书编号"]


@pytest.fixture
def program(beilun_firm):
    return TrainingProgram.objects.create(
        name="数控车工技能提升班",
        program_type=ProgramType.SKILL_UPGRADE,
        district=district("330206"),
        provider_school="宁波职业技术学院",
        starts_on=D(2025, 3, 1),
        ends_on=D(2025, 6, 30),
        capacity=2,
    )


def enrol_row(program, worker, **overrides):
    values = {"项目编号": program.reference, "身份证号": worker.id_number, "报名日期": "2025-03-05"}
    values.update(overrides)
    return values


def test_an_enrolment_list_then_a_completion_list(program, worker, certify):
    outcome = run(EnrollmentImporter, ENROLLMENT_HEADERS, [enrol_row(program, worker)])
    assert (outcome.committed, outcome.new) == (True, 1)
    enrollment = Enrollment.objects.get()
    assert (enrollment.status, enrollment.district.code) == (EnrollmentStatus.ENROLLED, "330206")

    certificate = certify(4, D(2025, 6, 5))
    completion = enrol_row(
        program, worker, 状态="已结业", 结业日期="2025-06-08", 取得证书编号=certificate.number
    )
    outcome = run(EnrollmentImporter, ENROLLMENT_HEADERS, [completion])
    assert (outcome.updated, outcome.new) == (1, 0)
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.completed_on, enrollment.certificate) == (
        EnrollmentStatus.COMPLETED, D(2025, 6, 8), certificate,
    )  # fmt: skip
    assert run(EnrollmentImporter, ENROLLMENT_HEADERS, [completion]).unchanged == 1
    # A completed enrolment is not reopened by an older list.
    reopened = run(EnrollmentImporter, ENROLLMENT_HEADERS, [enrol_row(program, worker, 状态="退出")])
    assert errors_of(reopened) == {(2, "状态")}


def test_an_enrolment_counts_in_the_district_of_the_enrolment_date(program, worker):
    haishu_firm = EnterpriseFactory(district=district("330203"))
    worker_change_employment(
        by=None, worker_id=worker.pk, enterprise_id=haishu_firm.pk, started_on=D(2025, 4, 1)
    )
    outcome = run(EnrollmentImporter, ENROLLMENT_HEADERS, [enrol_row(program, worker, 报名日期="2025-03-20")])
    assert outcome.committed
    assert Enrollment.objects.get().district.code == "330206"


def test_bad_enrolment_rows_are_reported_and_nothing_is_written(program, worker, beilun_firm):
    others = [register_worker(beilun_firm, sequence=n, hired_on=D(2024, 1, 1)) for n in (20, 21, 22, 24, 25)]
    late = register_worker(beilun_firm, sequence=23, hired_on=D(2025, 5, 1))
    stranger_certificate = certificate_issue(
        by=None, worker_id=others[0].pk, level=3, occupation="焊工", number="W-1", issued_on=D(2025, 1, 1)
    )
    rows = [
        enrol_row(program, worker),
        enrol_row(program, others[0], 项目编号="PX999999"),
        enrol_row(program, others[0], 项目编号="课程一"),
        enrol_row(program, others[1], 报名日期="2025-07-01"),  # after the program ends (and in the future)
        enrol_row(program, late),  # not yet employed that day
        enrol_row(program, others[2], 状态="结业"),  # completed without a date
        enrol_row(
            program, others[3], 状态="结业", 结业日期="2025-06-01", 取得证书编号=stranger_certificate.number
        ),
        enrol_row(program, worker),  # twice in the file
        enrol_row(program, others[4], 身份证号="110101199003077777"),
    ]
    outcome = run(EnrollmentImporter, ENROLLMENT_HEADERS, rows)
    assert outcome.rejected
    assert errors_of(outcome) == {
        (3, "项目编号"), (4, "项目编号"), (5, "报名日期"), (6, "报名日期"), (7, "结业日期"), (8, "取得证书编号"),
        (9, "身份证号"), (10, "身份证号"),
    }  # fmt: skip
    assert Enrollment.objects.count() == 0


def test_a_program_fills_up_within_one_file(program, beilun_firm):
    workers = [register_worker(beilun_firm, sequence=n, hired_on=D(2024, 1, 1)) for n in (30, 31, 32)]
    rows = [enrol_row(program, w) for w in workers]
    outcome = run(EnrollmentImporter, ENROLLMENT_HEADERS, rows)
    assert errors_of(outcome) == {(4, "项目编号")}
    with translation.override("en"):
        assert outcome.errors[0].message == "The program is full."
    assert run(EnrollmentImporter, ENROLLMENT_HEADERS, rows, valid_only=True).written == 2
    assert Enrollment.objects.count() == 2


# --- Claims ---------------------------------------------------------------------------------------------

CLAIM_HEADERS = [
    "补贴类型", "身份证号", "证书编号", "培训类型", "徒弟身份证号", "带徒协议开始日期", "称号", "年度", "学历", "院校",
    "专业", "学费（元）", "缴费日期", "专业与岗位相关", "备注",
]  # fmt: skip


def subsidy_row(worker, certificate, **overrides):
    values = {"补贴类型": "技能提升补贴", "身份证号": worker.id_number, "证书编号": certificate.number}
    values.update(overrides)
    return values


def test_claim_rows_become_submitted_claims_judged_by_the_rules(worker, certify, beilun_firm, beilun_clerk):
    certificate = certify(4, D(2025, 2, 1))
    award = award_grant(
        by=None, worker_id=worker.pk, title_id=CraftsmanTitle.objects.get(name="浙江工匠").pk, year=2024,
        nominated_by="employer", locally_trained=True,
    )  # fmt: skip
    apprentice = register_worker(beilun_firm, sequence=40, hired_on=D(2022, 1, 1))
    apprenticeship_create(
        by=None, master_id=worker.pk, apprentice_id=apprentice.pk, occupation="数控车工", skill_target=4,
        starts_on=D(2023, 3, 1), ends_on=D(2025, 3, 1),
    )  # fmt: skip
    rows = [
        subsidy_row(worker, certificate),
        {"补贴类型": "工匠奖励", "身份证号": worker.id_number, "称号": award.title.name, "年度": 2024},
        {"补贴类型": "带徒津贴", "身份证号": worker.id_number, "徒弟身份证号": apprentice.id_number},
    ]  # fmt: skip
    outcome = run(ClaimImporter, CLAIM_HEADERS, rows, user=beilun_clerk)
    assert (outcome.committed, outcome.new, outcome.bad) == (True, 3, 0)
    claims = {c.kind: c for c in Claim.objects.all()}
    assert claims[ClaimKind.SKILL_SUBSIDY].amount == Decimal("2000.00")  # 高级工
    assert claims[ClaimKind.CRAFTSMAN_AWARD].amount == Decimal("200000.00")
    assert {c.status for c in claims.values()} == {ClaimStatus.SUBMITTED}
    assert {c.submitted_by for c in claims.values()} == {beilun_clerk}
    # Each claim has its own audit event, as when entered on its page, plus one for the import.
    assert AuditEvent.objects.filter(action="claim.submit").count() == 3
    assert AuditEvent.objects.filter(action="import.claims").count() == 1

    again = run(ClaimImporter, CLAIM_HEADERS, rows, user=beilun_clerk)
    assert (again.new, again.unchanged, again.bad) == (0, 3, 0)
    assert Claim.objects.count() == 3


TUITION_ROW = {"补贴类型": "学费补助", "学历": "本科", "院校": "宁波大学", "专业": "机械工程", "学费（元）": "20,000",
               "缴费日期": "2025-03-01", "专业与岗位相关": "是", "备注": "夜大"}  # fmt: skip


def test_a_tuition_row_is_refused_for_want_of_its_receipt(worker, beilun_clerk, receipt):
    """A spreadsheet cannot carry the receipt every tuition claim needs: such rows are entered on the claim's
    page with the scan; a row already entered there counts as unchanged, so an old file imports again."""
    from training.services import claim_submit

    row = TUITION_ROW | {"身份证号": worker.id_number}
    outcome = run(ClaimImporter, CLAIM_HEADERS, [row], user=beilun_clerk)
    assert errors_of(outcome) == {(2, "补贴类型")}
    with translation.override("en"):
        assert "receipt" in outcome.errors[0].message
    assert not Claim.objects.exists()
    claim_submit(
        by=beilun_clerk, worker_id=worker.pk, kind=ClaimKind.TUITION,
        tuition={"degree": "bachelor", "institution": "宁波大学", "major": "机械工程", "tuition_paid": 20000,
                 "paid_on": D(2025, 3, 1), "relevant_to_job": True, "receipt": receipt()},
    )  # fmt: skip
    again = run(ClaimImporter, CLAIM_HEADERS, [row], user=beilun_clerk)
    assert (again.new, again.unchanged, again.bad) == (0, 1, 0)


def test_the_yearly_limit_and_once_per_level_count_rows_of_the_same_file(worker, certify):
    certificates = [certify(3, D(2025, 1, 10), occupation=o) for o in ("焊工", "电工", "钳工", "车工")]
    same_level = certify(3, D(2025, 1, 12), occupation="焊工")
    rows = [subsidy_row(worker, c) for c in certificates] + [subsidy_row(worker, same_level)]
    outcome = run(ClaimImporter, CLAIM_HEADERS, rows)
    assert errors_of(outcome) == {(5, "证书编号"), (6, "证书编号")}
    messages = {e.row: e.message for e in outcome.errors}
    assert "at most 3 subsidies per person per calendar year" in messages[5]
    assert "each occupation and level is paid once" in messages[6]
    assert Claim.objects.count() == 0
    assert run(ClaimImporter, CLAIM_HEADERS, rows, valid_only=True).written == 3


def test_a_refused_claim_row_says_which_rule_in_chinese(worker, certify):
    old = certify(4, D(2023, 1, 1))
    rows = [
        subsidy_row(worker, old),
        {"补贴类型": "学费补助", "身份证号": worker.id_number, "学历": "本科", "院校": "宁波大学", "专业": "美术",
         "学费（元）": 9000, "缴费日期": "2025-03-01", "专业与岗位相关": "否"},
        {"补贴类型": "补贴", "身份证号": worker.id_number},
    ]  # fmt: skip
    with translation.override("zh-hans"):
        outcome = run(ClaimImporter, CLAIM_HEADERS, rows)
    messages = {(e.row, e.column): e.message for e in outcome.errors}
    assert set(messages) == {(2, "证书编号"), (3, "专业与岗位相关"), (4, "补贴类型")}
    assert "12" in messages[(2, "证书编号")] and "个月" in messages[(2, "证书编号")]
    assert "相关" in messages[(3, "专业与岗位相关")]
    assert Claim.objects.count() == 0


def test_a_beilun_clerk_cannot_import_claims_of_a_haishu_worker(beilun_clerk, roles):
    haishu_worker = register_worker(
        EnterpriseFactory(district=district("330203")), sequence=3, bank_account="6222020000000000001"
    )
    certificate = certificate_issue(
        by=None, worker_id=haishu_worker.pk, level=2, occupation="焊工", number="H-1", issued_on=D(2025, 3, 1)
    )
    outcome = run(ClaimImporter, CLAIM_HEADERS, [subsidy_row(haishu_worker, certificate)], user=beilun_clerk)
    assert errors_of(outcome) == {(2, "身份证号")}
    assert Claim.objects.count() == 0


def test_a_claim_row_needs_a_bank_account_on_file(beilun_firm, roles):
    no_account = register_worker(beilun_firm, sequence=50, hired_on=D(2020, 1, 1))
    certificate = certificate_issue(
        by=None, worker_id=no_account.pk, level=2, occupation="焊工", number="N-1", issued_on=D(2025, 3, 1)
    )
    outcome = run(ClaimImporter, CLAIM_HEADERS, [subsidy_row(no_account, certificate)])
    assert errors_of(outcome) == {(2, "身份证号")}


# --- Through the admin, and exports --------------------------------------------------------------------


def test_the_admin_imports_a_claims_file_after_a_preview(client, beilun_clerk, worker, certify):
    certificate = certify(4, D(2025, 2, 1))
    client.login(username=beilun_clerk.username, password=PASSWORD)
    content = xlsx(CLAIM_HEADERS, [subsidy_row(worker, certificate)])
    upload = io.BytesIO(content)
    upload.name = "申请.xlsx"
    response = client.post("/admin/training/claim/import/", {"file": upload})
    assert response.status_code == 302
    preview = client.get(response["Location"])
    assert preview.status_code == 200
    assert "2,000.00" in preview.content.decode()
    assert Claim.objects.count() == 0
    confirmed = client.post(response["Location"])
    assert confirmed.status_code == 302
    assert Claim.objects.get().amount == Decimal("2000.00")


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        ("/admin/training/trainingprogram/import/template/", PROGRAM_HEADERS),
        ("/admin/training/enrollment/import/template/", ENROLLMENT_HEADERS),
        ("/admin/training/claim/import/template/", CLAIM_HEADERS),
    ],
)
def test_templates_carry_the_import_headers(client, city_clerk, url, headers):
    client.login(username=city_clerk.username, password=PASSWORD)
    response = client.get(url)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value for c in sheet[1]] == headers


def test_the_claims_export_masks_id_numbers_and_accounts(client, beilun_clerk, worker, certify):
    from training.services.claims import claim_submit

    certificate = certify(4, D(2025, 2, 1))
    claim = claim_submit(
        by=None, worker_id=worker.pk, kind=ClaimKind.SKILL_SUBSIDY, certificate_id=certificate.pk
    )
    client.login(username=beilun_clerk.username, password=PASSWORD)
    response = client.get("/admin/training/claim/export/xlsx/")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    header, row = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    values = dict(zip(header, row, strict=True))
    assert values["申请编号"] == claim.reference
    assert values["身份证号"] != worker.id_number and values["身份证号"].startswith(worker.id_number[:6])
    assert "收款账号" not in values  # a claim holds no account; payment attempts do
    assert values["金额（元）"] == 2000
    assert values["证书编号"] == certificate.number
    assert isinstance(values["申请时间"], datetime.datetime)


def test_the_enrolment_export_carries_the_program_number(client, beilun_clerk, program, worker):
    Enrollment.objects.create(
        worker=worker, program=program, district=program.district, enrolled_on=D(2025, 3, 5)
    )
    client.login(username=beilun_clerk.username, password=PASSWORD)
    response = client.get("/admin/training/enrollment/export/csv/")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert program.reference in text
    assert worker.id_number not in text
