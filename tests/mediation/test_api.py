"""The mediation API: scope per role, the worker's applications (validated, Chinese errors, throttled),
the workflow as actions, filters, and query counts that do not grow with the data."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time
from rest_framework.test import APIClient

from mediation import services
from mediation.choices import CaseSource, CaseStatus, DisputeType, EventType
from mediation.models import CaseEvent, DisputeCase
from tests.factories import register_worker

D = datetime.date
CASES = "/api/mediation/cases/"
COMMITTEES = "/api/mediation/committees/"
APPLICATIONS = "/api/mediation/applications/"


@pytest.fixture(autouse=True)
def _june_2025():
    with freeze_time("2025-06-10 10:00:00+08:00", tick=True):
        yield


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def registry(apply, haishu_worker, beilun_colleague, beilun_committee, haishu_street):
    """One case of the Beilun worker, one of their colleague, one in Haishu."""
    return {
        "beilun": apply(received_on=D(2025, 6, 1)),
        "colleague": apply(applicant_ids=[beilun_colleague.pk], received_on=D(2025, 6, 8)),
        "haishu": apply(applicant_ids=[haishu_worker.pk], received_on=D(2025, 5, 20)),
    }


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def error(response) -> dict:
    return response.json()["error"]


# --- Who sees what ---------------------------------------------------------------------------------------


def test_city_staff_see_every_district(api, city_clerk, registry):
    api.force_authenticate(city_clerk)
    assert ids(api.get(CASES)) == {c.pk for c in registry.values()}


@pytest.mark.parametrize("persona", ["beilun_clerk", "beilun_official"])
def test_district_roles_see_their_district_only(api, request, registry, persona):
    api.force_authenticate(request.getfixturevalue(persona))
    assert ids(api.get(CASES)) == {registry["beilun"].pk, registry["colleague"].pk}
    assert api.get(f"{CASES}{registry['haishu'].pk}/").status_code == 404
    committees = ids(api.get(COMMITTEES))
    assert len(committees) == 1


def test_officials_read_but_never_act(api, beilun_official, registry, beilun_committee):
    api.force_authenticate(beilun_official)
    case = registry["beilun"]
    assert api.get(f"{CASES}{case.pk}/").status_code == 200
    response = api.post(f"{CASES}{case.pk}/accept/", {"committee": beilun_committee.pk})
    assert response.status_code == 403
    assert api.post(CASES, {}).status_code == 403
    assert DisputeCase.objects.get(pk=case.pk).status == CaseStatus.APPLIED


def test_workers_use_their_own_endpoint_not_the_staff_lists(api, linked_worker_user, registry):
    api.force_authenticate(linked_worker_user)
    assert api.get(CASES).status_code == 403
    assert api.get(COMMITTEES).status_code == 403


def test_staff_lists_mask_the_applicants_id_numbers(api, city_clerk, registry, beilun_worker):
    api.force_authenticate(city_clerk)
    body = api.get(f"{CASES}{registry['beilun'].pk}/").content.decode()
    assert beilun_worker.id_number not in body
    assert beilun_worker.id_number_masked in body


# --- The worker's applications -------------------------------------------------------------------------------


def test_a_worker_lists_only_their_cases_with_timeline_and_days_left(api, linked_worker_user, registry):
    case = registry["beilun"]
    services.case_add_note(case_id=case.pk, by=None, text="内部：企业态度强硬", internal=True)
    services.case_add_note(case_id=case.pk, by=None, text="请于6月12日携带工资条到场")
    api.force_authenticate(linked_worker_user)
    response = api.get(APPLICATIONS)
    assert ids(response) == {case.pk}
    (row,) = response.json()["results"]
    assert (row["number"], row["due_on"], row["days_left"], row["due_soon"], row["overdue"]) == (
        case.number, "2025-06-16", 6, False, False,
    )  # fmt: skip
    assert [e["event_type"] for e in row["timeline"]] == [EventType.APPLIED, EventType.NOTE]
    assert "内部" not in response.content.decode()
    assert row["timeline"][1]["text"] == "请于6月12日携带工资条到场"
    for other in ("colleague", "haishu"):
        assert api.get(f"{APPLICATIONS}{registry[other].pk}/").status_code == 404


def test_the_application_list_costs_the_same_queries_for_many_cases(api, linked_worker_user, apply):
    api.force_authenticate(linked_worker_user)
    apply()
    with CaptureQueriesContext(connection) as few:
        assert api.get(APPLICATIONS).status_code == 200
    for _ in range(6):
        case = apply()
        services.case_add_note(case_id=case.pk, by=None, text="备注")
    with CaptureQueriesContext(connection) as many:
        response = api.get(APPLICATIONS)
    assert len(response.json()["results"]) == 7
    assert len(many) == len(few)


def test_a_worker_applies_online(api, linked_worker_user, beilun_worker):
    api.force_authenticate(linked_worker_user)
    response = api.post(
        APPLICATIONS,
        {"dispute_type": DisputeType.PAY, "claim": "要求支付加班费", "claimed_amount": "3200.50"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    case = DisputeCase.objects.get(pk=body["id"])
    assert (case.source, case.enterprise_id, case.received_on) == (
        CaseSource.ONLINE, beilun_worker.enterprise_id, D(2025, 6, 10),
    )  # fmt: skip
    assert list(case.applicants.all()) == [beilun_worker]
    assert (body["status"], body["days_left"], body["due_on"]) == (CaseStatus.APPLIED, 15, "2025-06-25")
    assert body["can_withdraw"] is True


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"claim": "要求支付工资"}, {"dispute_type": ["该字段是必填项。"]}),
        ({"dispute_type": DisputeType.PAY}, {"claim": ["该字段是必填项。"]}),
        (
            {"dispute_type": DisputeType.PAY, "claim": "工资", "claimed_amount": "-1"},
            {"claimed_amount": ["请确保该值大于或者等于 0。"]},
        ),
        (
            {"dispute_type": DisputeType.PAY, "claim": "工资", "claimed_amount": "很多"},
            {"claimed_amount": ["请填写合法的数字。"]},
        ),
        ({"dispute_type": "gossip", "claim": "工资"}, {"dispute_type": ["“gossip” 不是合法选项。"]}),
        (
            {"dispute_type": DisputeType.PAY, "claim": "工资", "enterprise": 999_999},
            {"enterprise": ["企业不存在。"]},
        ),
    ],
)
def test_a_bad_application_gets_chinese_field_errors_and_creates_nothing(
    api, linked_worker_user, payload, expected
):
    api.force_authenticate(linked_worker_user)
    response = api.post(APPLICATIONS, payload, format="json")
    assert response.status_code == 400
    assert error(response)["fields"] == expected
    assert error(response)["message"] == "提交的部分数据无效。"
    assert not DisputeCase.objects.exists()
    assert not CaseEvent.objects.exists()


def test_an_application_cannot_smuggle_fields(api, linked_worker_user, haishu_worker):
    api.force_authenticate(linked_worker_user)
    response = api.post(
        APPLICATIONS,
        {
            "dispute_type": DisputeType.PAY,
            "claim": "工资",
            "applicants": [haishu_worker.pk],
            "source": "court_transfer",
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(error(response)["fields"]) == {"applicants", "source"}
    assert not DisputeCase.objects.exists()


@pytest.mark.parametrize("persona", ["worker_user", "beilun_clerk"])
def test_only_a_linked_worker_may_apply(api, request, persona, beilun_worker):
    api.force_authenticate(request.getfixturevalue(persona))  # worker_user has no registry record
    response = api.post(APPLICATIONS, {"dispute_type": DisputeType.PAY, "claim": "工资"}, format="json")
    assert response.status_code == 403
    assert not DisputeCase.objects.exists()


def test_applying_is_limited_to_ten_an_hour_by_default_but_reading_is_not(api, linked_worker_user):
    api.force_authenticate(linked_worker_user)
    payload = {"dispute_type": DisputeType.OTHER, "claim": "申请调解"}
    statuses = [api.post(APPLICATIONS, payload, format="json").status_code for _ in range(11)]
    assert statuses == [201] * 10 + [429]
    assert error(api.post(APPLICATIONS, payload, format="json"))["message"].startswith("请求已被限流")
    assert DisputeCase.objects.count() == 10
    for _ in range(12):
        assert api.get(APPLICATIONS).status_code == 200


def test_the_application_rate_is_a_setting(api, linked_worker_user):
    from django.conf import settings

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "mediation_applications": "2/hour"}
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}):
        api.force_authenticate(linked_worker_user)
        payload = {"dispute_type": DisputeType.OTHER, "claim": "申请调解"}
        assert [api.post(APPLICATIONS, payload, format="json").status_code for _ in range(3)] == [
            201,
            201,
            429,
        ]


def test_a_worker_withdraws_their_application(api, linked_worker_user, registry):
    api.force_authenticate(linked_worker_user)
    response = api.post(
        f"{APPLICATIONS}{registry['beilun'].pk}/withdraw/", {"reason": "已协商解决"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == CaseStatus.WITHDRAWN
    assert api.post(f"{APPLICATIONS}{registry['colleague'].pk}/withdraw/", {"reason": "x"}).status_code == 404


# --- Staff: registering and the workflow ------------------------------------------------------------------


def test_a_clerk_registers_a_transferred_case(api, beilun_clerk, beilun_worker, beilun_committee):
    api.force_authenticate(beilun_clerk)
    response = api.post(
        CASES,
        {
            "applicants": [beilun_worker.pk],
            "dispute_type": DisputeType.DISMISSAL,
            "claim": "违法解除劳动合同赔偿金",
            "claimed_amount": "40000",
            "source": CaseSource.ARBITRATION_TRANSFER,
            "external_reference": "甬北劳人仲案〔2025〕88号",
            "received_on": "2025-06-09",
            "committee": beilun_committee.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["transferred"], body["due_on"], body["committee_name"]) == (
        True,
        "2025-06-24",
        beilun_committee.name,
    )
    assert body["allowed_transitions"] == ["accept", "reject", "withdraw"]
    assert [e["event_type"] for e in body["timeline"]] == [EventType.APPLIED]


def test_the_workflow_through_the_api(api, beilun_clerk, registry, beilun_committee):
    api.force_authenticate(beilun_clerk)
    url = f"{CASES}{registry['beilun'].pk}"
    steps = [
        ("accept", {"committee": beilun_committee.pk, "on": "2025-06-02"}),
        ("start-mediation", {"on": "2025-06-03"}),
        ("record-session", {"text": "首次调解", "held_on": "2025-06-05"}),
        ("add-note", {"text": "仅内部可见", "internal": True}),
        ("extend", {"new_due_on": "2025-06-25", "reason": "补充证据", "agreed_by_both": True}),
        ("reach-agreement", {"agreed_amount": "15000", "terms": "一次性支付", "on": "2025-06-10"}),
    ]
    for step, payload in steps:
        response = api.post(f"{url}/{step}/", payload, format="json")
        assert response.status_code == 200, (step, response.content)
    body = response.json()
    assert (body["status"], body["agreed_amount"], body["due_on"], body["concluded_on"]) == (
        CaseStatus.AGREEMENT, "15000.00", "2025-06-25", "2025-06-10",
    )  # fmt: skip
    assert [e["event_type"] for e in body["timeline"]] == [
        "applied", "accepted", "mediation_started", "session", "note", "extended", "agreement",
    ]  # fmt: skip
    assert body["timeline"][4]["internal"] is True


def test_a_document_is_uploaded_and_downloaded_only_by_those_in_scope(
    api, client, beilun_clerk, haishu_clerk, linked_worker_user, registry, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path
    api.force_authenticate(beilun_clerk)
    upload = SimpleUploadedFile("调解笔录.pdf", b"%PDF-1.4 minutes", content_type="application/pdf")
    response = api.post(
        f"{CASES}{registry['beilun'].pk}/add-document/", {"file": upload, "text": "笔录"}, format="multipart"
    )
    assert response.status_code == 200, response.content
    url = response.json()["timeline"][-1]["file"]
    assert url.startswith("/files/mediation_documents/2025/06/")
    from portal.media import PRIVATE_FILES

    # The entry the lead adds to portal/media.py (harmless once it is there).
    monkeypatch.setitem(PRIVATE_FILES, "mediation_documents", "mediation.CaseEvent.file")
    client.force_login(linked_worker_user)
    assert b"".join(client.get(url).streaming_content) == b"%PDF-1.4 minutes"
    client.force_login(haishu_clerk)
    assert client.get(url).status_code == 404


def test_a_forbidden_transition_answers_400_and_changes_nothing(api, beilun_clerk, registry):
    api.force_authenticate(beilun_clerk)
    case = registry["beilun"]
    services.case_withdraw(case_id=case.pk, by=None, reason="撤回")
    response = api.post(
        f"{CASES}{case.pk}/reach-agreement/", {"agreed_amount": "100", "terms": "支付"}, format="json"
    )
    assert response.status_code == 400
    assert case.number in error(response)["message"]
    assert DisputeCase.objects.get(pk=case.pk).status == CaseStatus.WITHDRAWN


def test_a_clerk_cannot_act_on_another_districts_case(api, haishu_clerk, registry, haishu_street):
    api.force_authenticate(haishu_clerk)
    response = api.post(
        f"{CASES}{registry['beilun'].pk}/accept/", {"committee": haishu_street.pk}, format="json"
    )
    assert response.status_code == 404


# --- Filters and query counts ---------------------------------------------------------------------------


def test_filters(api, city_clerk, registry, apply):
    transferred = apply(source=CaseSource.COURT_TRANSFER, received_on=D(2025, 6, 9))
    api.force_authenticate(city_clerk)
    # Due: beilun 6-16, colleague 6-23, haishu 6-04 (overdue), transferred 6-24; today is 6-10.
    assert ids(api.get(CASES, {"overdue": "true"})) == {registry["haishu"].pk}
    assert ids(api.get(CASES, {"due_soon": "true"})) == set()
    with freeze_time("2025-06-14 10:00:00+08:00"):
        assert ids(api.get(CASES, {"due_soon": "true"})) == {registry["beilun"].pk}
    assert ids(api.get(CASES, {"transferred": "true"})) == {transferred.pk}
    assert ids(api.get(CASES, {"source": CaseSource.COURT_TRANSFER})) == {transferred.pk}
    assert ids(api.get(CASES, {"district_code": "330203"})) == {registry["haishu"].pk}
    assert ids(api.get(CASES, {"dispute_type": DisputeType.PAY, "status": "applied"})) == {
        c.pk for c in [*registry.values(), transferred]
    }
    services.case_withdraw(case_id=transferred.pk, by=None, reason="撤回")
    assert ids(api.get(CASES, {"status": ["withdrawn", "rejected"]})) == {transferred.pk}
    assert ids(api.get(CASES, {"number": registry["beilun"].number})) == {registry["beilun"].pk}


def test_case_and_committee_lists_cost_the_same_queries_for_more_rows(
    api, city_clerk, apply, beilun_firm, beilun_committee
):
    api.force_authenticate(city_clerk)
    apply()
    api.get(CASES)  # warm the user's permission cache
    counts = {}
    for round_, label in enumerate(("few", "many")):
        with CaptureQueriesContext(connection) as queries:
            assert api.get(CASES).status_code == 200
            assert api.get(COMMITTEES).status_code == 200
        counts[label] = len(queries)
        for n in range(5):
            worker = register_worker(beilun_firm, sequence=100 + 10 * round_ + n)
            apply(applicant_ids=[worker.pk])
            services.committee_establish(
                by=None, kind="street", name=f"街道{round_}-{n}", district_id=beilun_firm.district_id,
                established_on=D(2020, 1, 1), members=[{"name": "甲", "role": "chair"}],
            )  # fmt: skip
    assert counts["many"] == counts["few"]


@pytest.mark.parametrize("with_proposed_overrides", [False, True])
def test_the_schema_of_the_mediation_endpoints_is_clean(db, with_proposed_overrides):
    """No warnings as the settings are now, nor once the lead adds the proposed ENUM_NAME_OVERRIDES."""
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.plumbing import _load_enum_name_overrides
    from drf_spectacular.settings import spectacular_settings
    from drf_spectacular.validation import validate_schema

    from tests.mediation.conftest import PROPOSED_ENUM_NAME_OVERRIDES

    if with_proposed_overrides:
        overrides = {**spectacular_settings.ENUM_NAME_OVERRIDES, **PROPOSED_ENUM_NAME_OVERRIDES}
        spectacular_settings.apply_patches({"ENUM_NAME_OVERRIDES": overrides})
    _load_enum_name_overrides.cache_clear()
    try:
        GENERATOR_STATS.reset()
        schema = SchemaGenerator().get_schema(request=None, public=True)
        problems = list(GENERATOR_STATS._warn_cache) + list(GENERATOR_STATS._error_cache)
    finally:
        spectacular_settings.clear_patches()
        _load_enum_name_overrides.cache_clear()
    assert problems == []
    validate_schema(schema)
    paths = schema["paths"]
    assert {"/api/mediation/cases/", "/api/mediation/applications/", "/api/mediation/committees/"} <= set(
        paths
    )


def test_a_word_bomb_uploaded_as_a_case_document_is_a_clear_400_and_nothing_is_stored(
    api, beilun_clerk, registry, settings, tmp_path
):
    """A small .docx that unpacks to 600 MB: refused from its table of contents, never a 500."""
    from tests.workers.test_zip_limits import docx_bomb

    settings.MEDIA_ROOT = tmp_path
    case = registry["beilun"]
    events_before = CaseEvent.objects.filter(case=case).count()
    api.force_authenticate(beilun_clerk)
    upload = SimpleUploadedFile(
        "笔录.docx",
        docx_bomb(),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response = api.post(
        f"{CASES}{case.pk}/add-document/", {"file": upload, "text": "笔录"}, format="multipart"
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"], response.content  # the message names the file field
    assert CaseEvent.objects.filter(case=case).count() == events_before
    assert not any(tmp_path.rglob("*.docx"))
