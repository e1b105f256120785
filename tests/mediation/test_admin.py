"""The mediation admin: scoped lists with deadline filters, cases added and moved only through services,
the timeline, committees with members (all or nothing), and the export with masked ID numbers."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import ngettext
from freezegun import freeze_time
from openpyxl import load_workbook

from mediation import services
from mediation.choices import CaseSource, CaseStatus, CommitteeKind, DisputeType, EventType
from mediation.models import DisputeCase, MediationCommittee
from portal.models import AuditEvent
from tests.conftest import PASSWORD
from tests.factories import register_worker

D = datetime.date
CASES = "/admin/mediation/disputecase/"
COMMITTEES = "/admin/mediation/mediationcommittee/"


@pytest.fixture(autouse=True)
def _june_2025():
    with freeze_time("2025-06-10 10:00:00+08:00", tick=True):
        yield


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def cases(apply, haishu_worker, beilun_committee):
    return {
        "beilun": apply(received_on=D(2025, 6, 1)),  # due 6-16
        "beilun_overdue": apply(
            received_on=D(2025, 5, 20), claim="要求补缴社保", dispute_type=DisputeType.WORKING_CONDITIONS
        ),
        "haishu": apply(applicant_ids=[haishu_worker.pk], received_on=D(2025, 6, 8)),
    }


def _form_errors(response):
    context = response.context
    errors = [context["adminform"].form.errors] if "adminform" in context else []
    for inline in context.get("inline_admin_formsets", []):
        errors += [inline.formset.errors, inline.formset.non_form_errors()]
    return errors


def step_url(case, step):
    return f"{CASES}{case.pk}/step/{step}/"


# --- Lists -----------------------------------------------------------------------------------------------


def test_the_case_list_shows_the_clerks_district_with_masked_ids_and_deadlines(
    client, beilun_clerk, cases, beilun_worker
):
    html = login(client, beilun_clerk).get(CASES).content.decode()
    assert cases["beilun"].number in html and cases["beilun_overdue"].number in html
    assert cases["haishu"].number not in html
    assert beilun_worker.id_number not in html
    with translation.override("zh-hans"):  # the admin's language, whatever the catalogue holds
        left = ngettext("%(days)d day left", "%(days)d days left", 6) % {"days": 6}
        overdue = ngettext("%(days)d day overdue", "%(days)d days overdue", 6) % {"days": 6}
    assert left in html  # due 6-16, today 6-10
    assert overdue in html  # due 6-04


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"deadline": "overdue"}, {"beilun_overdue"}),
        ({"deadline": "open"}, {"beilun", "beilun_overdue"}),
        ({"dispute_type": DisputeType.WORKING_CONDITIONS}, {"beilun_overdue"}),
        ({"source": CaseSource.WALK_IN, "status": CaseStatus.APPLIED}, {"beilun", "beilun_overdue"}),
    ],
)
def test_list_filters(client, beilun_clerk, cases, query, expected):
    html = login(client, beilun_clerk).get(CASES, query).content.decode()
    assert {key for key in ("beilun", "beilun_overdue") if cases[key].number in html} == expected


def test_the_due_soon_filter(client, beilun_clerk, cases):
    with freeze_time("2025-06-13 10:00:00+08:00"):
        html = login(client, beilun_clerk).get(CASES, {"deadline": "due_soon"}).content.decode()
    assert cases["beilun"].number in html and cases["beilun_overdue"].number not in html


def test_the_case_list_query_count_does_not_grow(client, city_clerk, cases, apply, beilun_firm):
    login(client, city_clerk)
    client.get(CASES)
    with CaptureQueriesContext(connection) as few:
        assert client.get(CASES).status_code == 200
    for n in range(8):
        worker = register_worker(beilun_firm, sequence=200 + n)
        apply(applicant_ids=[worker.pk])
    with CaptureQueriesContext(connection) as many:
        assert client.get(CASES).status_code == 200
    assert len(many) == len(few)


def test_officials_have_no_admin(client, beilun_official, cases):
    # Officials read through the API and the dashboards; the admin is the clerks' tool.
    login(client, beilun_official)
    for url in (CASES, f"{CASES}{cases['beilun'].pk}/change/", step_url(cases["beilun"], "accept")):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/admin/login/")


# --- Adding and moving a case ---------------------------------------------------------------------------


def test_adding_a_case_goes_through_case_apply(client, beilun_clerk, beilun_worker, beilun_committee):
    login(client, beilun_clerk)
    response = client.post(
        f"{CASES}add/",
        {
            "applicants": [beilun_worker.pk],
            "enterprise": "",
            "dispute_type": DisputeType.PAY,
            "claim": "拖欠工资",
            "claimed_amount": "5000",
            "source": CaseSource.WALK_IN,
            "external_reference": "",
            "received_on": "2025-06-09",
            "committee": beilun_committee.pk,
            "note": "职工来访",
        },
    )
    assert response.status_code == 302, _form_errors(response)
    case = DisputeCase.objects.get()
    assert (case.number, case.created_by, case.committee) == (
        "北仑劳调〔2025〕0001号",
        beilun_clerk,
        beilun_committee,
    )
    assert case.events.get().text == "职工来访"
    assert AuditEvent.objects.filter(action="case.apply", actor=beilun_clerk).exists()


def test_a_bad_case_form_shows_the_service_errors_and_saves_nothing(client, beilun_clerk, haishu_worker):
    login(client, beilun_clerk)
    response = client.post(
        f"{CASES}add/",
        {
            "applicants": [haishu_worker.pk],
            "dispute_type": DisputeType.PAY,
            "claim": "拖欠工资",
            "source": CaseSource.WALK_IN,
            "received_on": "2025-06-09",
        },
    )
    assert response.status_code in (200, 403)
    assert not DisputeCase.objects.exists()


def test_the_change_page_shows_the_timeline_and_the_steps_the_case_may_take(client, beilun_clerk, cases):
    case = cases["beilun"]
    services.case_add_note(case_id=case.pk, by=beilun_clerk, text="电话联系企业", internal=True)
    html = login(client, beilun_clerk).get(f"{CASES}{case.pk}/change/").content.decode()
    assert "电话联系企业" in html
    for step in ("accept", "reject", "withdraw", "add_note", "add_document"):
        assert f"/step/{step}/" in html
    for step in ("reach_agreement", "start_mediation", "extend", "record_session"):
        assert f"/step/{step}/" not in html
    assert 'name="_save"' not in html


def test_steps_move_the_case_and_refusals_change_nothing(client, beilun_clerk, cases, beilun_committee):
    case = cases["beilun"]
    login(client, beilun_clerk)
    response = client.post(step_url(case, "reject"), {"reason": "  "})
    assert response.status_code == 200  # the form again, with the error
    assert DisputeCase.objects.get(pk=case.pk).status == CaseStatus.APPLIED

    response = client.post(step_url(case, "accept"), {"committee": beilun_committee.pk, "on": "2025-06-02"})
    assert response.status_code == 302
    assert DisputeCase.objects.get(pk=case.pk).status == CaseStatus.ACCEPTED

    # A step the state does not allow: the service refuses, the page says so, nothing changes.
    response = client.post(step_url(case, "reach_agreement"), {"agreed_amount": "100", "terms": "支付"})
    assert response.status_code == 200
    assert case.number in response.content.decode()
    assert "errornote" in response.content.decode()
    assert DisputeCase.objects.get(pk=case.pk).status == CaseStatus.ACCEPTED

    client.post(step_url(case, "start_mediation"), {})
    client.post(
        step_url(case, "extend"), {"new_due_on": "2025-06-20", "reason": "补充材料", "agreed_by_both": "on"}
    )
    client.post(step_url(case, "reach_agreement"), {"agreed_amount": "8000", "terms": "分期支付"})
    case.refresh_from_db()
    assert (case.status, case.due_on, str(case.agreed_amount)) == (
        CaseStatus.AGREEMENT,
        D(2025, 6, 20),
        "8000.00",
    )
    assert list(case.events.values_list("event_type", flat=True)) == [
        EventType.APPLIED, EventType.ACCEPTED, EventType.MEDIATION_STARTED, EventType.EXTENDED, EventType.AGREEMENT,
    ]  # fmt: skip


def test_a_clerk_of_another_district_cannot_open_a_step(client, haishu_clerk, cases):
    assert login(client, haishu_clerk).get(step_url(cases["beilun"], "accept")).status_code == 404
    assert client.get(step_url(cases["haishu"], "no_such_step")).status_code == 404


def test_a_document_step_uploads_a_private_file(client, beilun_clerk, cases, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    login(client, beilun_clerk)
    upload = SimpleUploadedFile("调解申请书.pdf", b"%PDF-1.4", content_type="application/pdf")
    response = client.post(step_url(cases["beilun"], "add_document"), {"file": upload, "text": "申请书"})
    assert response.status_code == 302
    event = cases["beilun"].events.get(event_type=EventType.DOCUMENT)
    assert event.file.name.startswith("mediation_documents/")


# --- Committees ----------------------------------------------------------------------------------------------


def _committee_post(**extra):
    data = {
        "kind": CommitteeKind.ENTERPRISE,
        "name": "北仑精密机械调委会",
        "established_on": "2020-05-01",
        "note": "",
        "members-TOTAL_FORMS": "2",
        "members-INITIAL_FORMS": "0",
        "members-0-name": "王主任",
        "members-0-role": "chair",
        "members-0-union_member": "on",
        "members-1-name": "赵经理",
        "members-1-role": "employer_rep",
    }
    data.update(extra)
    return data


def test_a_committee_and_its_members_are_added_through_the_services(client, beilun_clerk, beilun_firm):
    login(client, beilun_clerk)
    response = client.post(f"{COMMITTEES}add/", _committee_post(enterprise=beilun_firm.pk))
    assert response.status_code == 302, _form_errors(response)
    committee = MediationCommittee.objects.get()
    assert committee.district == beilun_firm.district
    assert sorted(committee.members.values_list("name", flat=True)) == ["王主任", "赵经理"]
    assert AuditEvent.objects.filter(action__in=["committee.establish", "committee.members"]).count() == 2


def test_a_committee_with_bad_members_saves_nothing(client, beilun_clerk, beilun_firm):
    login(client, beilun_clerk)
    response = client.post(
        f"{COMMITTEES}add/", _committee_post(enterprise=beilun_firm.pk, **{"members-1-role": "chair"})
    )
    assert response.status_code == 200
    assert not MediationCommittee.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="committee.").exists()


def test_dissolving_a_committee_in_the_admin(client, beilun_clerk, beilun_committee):
    login(client, beilun_clerk)
    members = list(beilun_committee.members.order_by("id"))
    data = {
        "name": beilun_committee.name,
        "note": "",
        "dissolve_on": "2025-06-01",
        "members-TOTAL_FORMS": str(len(members)),
        "members-INITIAL_FORMS": str(len(members)),
    }
    for i, member in enumerate(members):
        data.update({
            f"members-{i}-id": member.pk, f"members-{i}-committee": beilun_committee.pk,
            f"members-{i}-name": member.name, f"members-{i}-role": member.role,
            f"members-{i}-union_member": "on" if member.union_member else "",
        })  # fmt: skip
    response = client.post(f"{COMMITTEES}{beilun_committee.pk}/change/", data)
    assert response.status_code == 302, _form_errors(response)
    beilun_committee.refresh_from_db()
    assert beilun_committee.dissolved_on == D(2025, 6, 1)
    assert beilun_committee.members.count() == 3


def test_the_committee_list_is_scoped(client, haishu_clerk, beilun_committee, haishu_street):
    html = login(client, haishu_clerk).get(COMMITTEES).content.decode()
    assert haishu_street.name in html and beilun_committee.name not in html


# --- Export ---------------------------------------------------------------------------------------------------


def test_the_csv_export_has_chinese_headers_masked_ids_and_the_list_filters(
    client, beilun_clerk, cases, beilun_worker
):
    login(client, beilun_clerk)
    response = client.get(f"{CASES}export/csv/", {"deadline": "overdue"})
    assert response.status_code == 200
    data = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data)))
    assert rows[0][:6] == [
        "案件编号",
        "所在区（县、市）",
        "企业名称",
        "企业统一社会信用代码",
        "申请人",
        "申请人身份证号",
    ]
    assert [row[0] for row in rows[1:]] == [cases["beilun_overdue"].number]
    assert beilun_worker.id_number not in data
    assert beilun_worker.id_number_masked in data
    with translation.override("zh-hans"):
        assert str(DisputeType.WORKING_CONDITIONS.label) in data  # the type's label, not its code


def test_the_xlsx_export_is_scoped_and_audited(client, beilun_clerk, cases):
    login(client, beilun_clerk)
    response = client.get(f"{CASES}export/xlsx/")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    numbers = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert numbers == {cases["beilun"].number, cases["beilun_overdue"].number}
    amounts = [row[8] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(a, int | float) for a in amounts)
    assert AuditEvent.objects.filter(action__startswith="export.", actor=beilun_clerk).exists()


def test_a_committee_added_in_a_popup_is_kept(client, beilun_clerk):
    from tests.factories import district

    login(client, beilun_clerk)
    data = _committee_post(kind=CommitteeKind.STREET, district=district("330206").pk, name="大碶街道调解中心")
    response = client.post(f"{COMMITTEES}add/?_popup=1", {**data, "_popup": "1"})
    assert response.status_code == 200 and "popup_response" in str(response.template_name)
    assert MediationCommittee.objects.get().name == "大碶街道调解中心"


# --- Find by person ----------------------------------------------------------------------------------------


def _listed(client, **params) -> set[str]:
    page = client.get(CASES, params)
    assert page.status_code == 200
    return {case.number for case in page.context["cl"].result_list}


def test_cases_are_found_by_an_applicants_name(client, beilun_clerk, cases, apply, beilun_colleague):
    colleague_case = apply(applicant_ids=[beilun_colleague.pk], received_on=D(2025, 6, 2))
    login(client, beilun_clerk)
    assert _listed(client, q="北仑职工乙") == {colleague_case.number}
    assert _listed(client, q="北仑职工") == {
        cases["beilun"].number, cases["beilun_overdue"].number, colleague_case.number,
    }  # fmt: skip
    assert _listed(client, q="海曙职工丙") == set()  # another district's applicant: not in scope


@pytest.mark.parametrize("typed", ["plain", "spaced_lowercase"])
def test_cases_are_found_by_an_applicants_full_id_number(client, city_clerk, cases, beilun_worker, typed):
    number = beilun_worker.id_number
    term = number if typed == "plain" else f" {number[:6]} {number[6:14]} {number[14:].lower()} "
    assert _listed(login(client, city_clerk), q=term) == {
        cases["beilun"].number,
        cases["beilun_overdue"].number,
    }


def test_a_partial_id_number_finds_no_case(client, city_clerk, cases, beilun_worker):
    assert _listed(login(client, city_clerk), q=beilun_worker.id_number[:10]) == set()


def test_the_case_number_and_reference_still_find_the_case(client, beilun_clerk, cases):
    assert _listed(login(client, beilun_clerk), q=cases["beilun"].number) == {cases["beilun"].number}


def test_the_case_list_names_each_column_once_and_shows_the_due_date_with_the_days_left(
    client, beilun_clerk, cases
):
    page = login(client, beilun_clerk).get(CASES)
    with translation.override("zh-hans"):  # "due on" and "time limit" are both 调解期限 there
        headers = [str(header["text"]) for header in page.context["result_headers"]]
    assert len(headers) == len(set(headers)), headers
    html = page.content.decode()
    assert "2025-06-16" in html  # the due date, beside the days left
