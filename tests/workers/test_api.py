"""The registry's REST API: scope per role, masking, exact lookups, writes through the services, query counts."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from portal.masking import mask_id_number, mask_phone
from portal.models import AuditEvent
from tests.factories import EnterpriseFactory, district, make_id_number, register_worker
from workers.choices import Nomination, SkillLevel
from workers.models import CraftsmanAward, CraftsmanTitle, Employment, Enterprise, SkillCertificate, Worker
from workers.services import award_grant, certificate_issue

D = datetime.date
BANK_ACCOUNT = "6222021234567890123"
LISTS = ["workers", "certificates", "craftsman-awards", "employments", "enterprises"]


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def beilun_firm(db):
    return EnterpriseFactory(district=district("330206"), name="北仑精密机械有限公司")


@pytest.fixture
def haishu_firm(db):
    return EnterpriseFactory(district=district("330203"), name="海曙纺织有限公司")


def _with_records(worker, number: str):
    certificate = certificate_issue(
        by=None, worker_id=worker.pk, level=SkillLevel.SENIOR, occupation="车工", number=number,
        issued_on=D(2021, 5, 1),
    )  # fmt: skip
    award = award_grant(
        by=None, worker_id=worker.pk, title_id=CraftsmanTitle.objects.get(name="宁波工匠").pk, year=2023,
        nominated_by=Nomination.EMPLOYER,
    )  # fmt: skip
    return certificate, award


@pytest.fixture
def registry(beilun_firm, haishu_firm):
    """One worker with a certificate and an award in Beilun, one in Haishu: the ids each list shows."""
    beilun = register_worker(beilun_firm, sequence=1, name="北仑职工", bank_account=BANK_ACCOUNT)
    haishu = register_worker(haishu_firm, sequence=2, name="海曙职工", bank_account=BANK_ACCOUNT[:-1] + "9")
    rows = {}
    for key, worker, firm, number in (
        ("beilun", beilun, beilun_firm, "B-1"),
        ("haishu", haishu, haishu_firm, "H-1"),
    ):
        certificate, award = _with_records(worker, number)
        rows[key] = {
            "worker": worker,
            "workers": {worker.pk},
            "certificates": {certificate.pk},
            "craftsman-awards": {award.pk},
            "employments": set(worker.employments.values_list("pk", flat=True)),
            "enterprises": {firm.pk},
        }
    return rows


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def error_fields(response) -> dict:
    return response.json()["error"]["fields"]


@pytest.fixture
def linked_worker_user(worker_user, registry):
    worker_user.worker = registry["beilun"]["worker"]
    worker_user.save()
    return worker_user


# --- Who sees what -------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", LISTS)
def test_city_clerk_sees_every_district(api, city_clerk, registry, endpoint):
    api.force_authenticate(city_clerk)
    assert ids(api.get(f"/api/{endpoint}/")) == registry["beilun"][endpoint] | registry["haishu"][endpoint]


@pytest.mark.parametrize("endpoint", LISTS)
@pytest.mark.parametrize(
    ("persona", "own"),
    [("beilun_clerk", "beilun"), ("beilun_official", "beilun"), ("haishu_official", "haishu")],
)
def test_district_roles_see_only_their_district(api, request, registry, endpoint, persona, own):
    api.force_authenticate(request.getfixturevalue(persona))
    other = "haishu" if own == "beilun" else "beilun"
    assert ids(api.get(f"/api/{endpoint}/")) == registry[own][endpoint]
    other_id = next(iter(registry[other][endpoint]))
    assert api.get(f"/api/{endpoint}/{other_id}/").status_code == 404


def test_a_worker_sees_only_their_own_records(api, linked_worker_user, registry):
    api.force_authenticate(linked_worker_user)
    own, other = registry["beilun"], registry["haishu"]
    for endpoint in ("workers", "certificates", "craftsman-awards", "employments"):
        assert ids(api.get(f"/api/{endpoint}/")) == own[endpoint], endpoint
        assert api.get(f"/api/{endpoint}/{next(iter(other[endpoint]))}/").status_code == 404
    assert ids(api.get("/api/enterprises/")) == set()
    assert api.get(f"/api/enterprises/{next(iter(own['enterprises']))}/").status_code == 404
    assert len(ids(api.get("/api/craftsman-titles/"))) >= 2  # reference data everyone reads


def test_a_worker_cannot_write_even_their_own_record(api, linked_worker_user, registry):
    api.force_authenticate(linked_worker_user)
    worker = registry["beilun"]["worker"]
    assert api.patch(f"/api/workers/{worker.pk}/", {"name": "改名"}, format="json").status_code == 403
    response = api.post(
        "/api/certificates/",
        {
            "worker": worker.pk,
            "skill_level": 5,
            "occupation": "车工",
            "number": "SELF-1",
            "issued_on": "2022-01-01",
        },
        format="json",
    )
    assert response.status_code == 403
    assert Worker.objects.get(pk=worker.pk).name == "北仑职工"
    assert not SkillCertificate.objects.filter(number="SELF-1").exists()


def test_an_official_reads_but_cannot_write(api, beilun_official, registry, beilun_firm):
    api.force_authenticate(beilun_official)
    worker = registry["beilun"]["worker"]
    certificate_id = next(iter(registry["beilun"]["certificates"]))
    attempts = [
        api.post("/api/workers/", _registration(beilun_firm), format="json"),
        api.patch(f"/api/workers/{worker.pk}/", {"name": "改名"}, format="json"),
        api.post(f"/api/workers/{worker.pk}/leave/", {"left_on": "2024-01-01"}, format="json"),
        api.post(f"/api/certificates/{certificate_id}/revoke/", {"revoked_on": "2024-01-01", "reason": "x"}),
        api.patch(f"/api/enterprises/{beilun_firm.pk}/", {"name": "改名"}, format="json"),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    assert all(r.json()["error"]["code"] == "permission_denied" for r in attempts)
    worker.refresh_from_db()
    assert (worker.name, worker.left_on) == ("北仑职工", None)
    assert SkillCertificate.objects.get(pk=certificate_id).revoked_on is None
    assert Worker.objects.count() == 2
    assert Enterprise.objects.get(pk=beilun_firm.pk).name == "北仑精密机械有限公司"


def test_a_district_clerk_guessing_another_districts_ids_gets_404_and_changes_nothing(
    api, beilun_clerk, registry, beilun_firm
):
    api.force_authenticate(beilun_clerk)
    haishu_worker = registry["haishu"]["worker"]
    certificate_id = next(iter(registry["haishu"]["certificates"]))
    haishu_firm_id = next(iter(registry["haishu"]["enterprises"]))
    attempts = [
        api.patch(f"/api/workers/{haishu_worker.pk}/", {"name": "改名"}, format="json"),
        api.post(
            f"/api/workers/{haishu_worker.pk}/change-employment/",
            {"enterprise": beilun_firm.pk, "started_on": "2024-01-01"},
            format="json",
        ),
        api.post(f"/api/workers/{haishu_worker.pk}/leave/", {"left_on": "2024-01-01"}, format="json"),
        api.post(f"/api/certificates/{certificate_id}/revoke/", {"revoked_on": "2024-01-01", "reason": "x"}),
        api.patch(f"/api/enterprises/{haishu_firm_id}/", {"name": "改名"}, format="json"),
    ]
    assert [r.status_code for r in attempts] == [404] * len(attempts)
    haishu_worker.refresh_from_db()
    assert (haishu_worker.name, haishu_worker.district.code, haishu_worker.left_on) == (
        "海曙职工",
        "330203",
        None,
    )
    assert haishu_worker.employments.count() == 1
    assert SkillCertificate.objects.get(pk=certificate_id).revoked_on is None
    assert Enterprise.objects.get(pk=haishu_firm_id).name == "海曙纺织有限公司"


def test_a_request_body_cannot_reach_a_worker_outside_the_scope(api, beilun_clerk, registry):
    api.force_authenticate(beilun_clerk)
    haishu_worker = registry["haishu"]["worker"]
    certificate = api.post(
        "/api/certificates/",
        {"worker": haishu_worker.pk, "skill_level": 5, "occupation": "车工", "number": "X-9",
         "issued_on": "2022-01-01"},
        format="json",
    )  # fmt: skip
    award = api.post(
        "/api/craftsman-awards/",
        {"worker": haishu_worker.pk, "title": CraftsmanTitle.objects.get(name="浙江工匠").pk, "year": 2022,
         "nominated_by": "employer"},
        format="json",
    )  # fmt: skip
    assert certificate.status_code == award.status_code == 400
    assert "worker" in error_fields(certificate) and "worker" in error_fields(award)
    assert not SkillCertificate.objects.filter(number="X-9").exists()
    assert not CraftsmanAward.objects.filter(worker=haishu_worker, year=2022).exists()


# --- Personal data ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["city_clerk", "beilun_clerk", "beilun_official", "linked_worker_user"])
def test_personal_data_is_masked_in_list_and_detail_for_every_role(api, request, registry, persona):
    api.force_authenticate(request.getfixturevalue(persona))
    worker = Worker.objects.get(pk=registry["beilun"]["worker"].pk)
    urls = [
        (url, accept)
        for url in ("/api/workers/", f"/api/workers/{worker.pk}/")
        for accept in ("json", "html")
    ]
    responses = [
        api.get(url, HTTP_ACCEPT="text/html" if accept == "html" else "application/json")
        for url, accept in urls
    ]
    responses.append(api.post("/api/workers/lookup/", {"id_number": worker.id_number}, format="json"))
    for response in responses:
        assert response.status_code == 200
        body = response.content.decode()
        assert worker.id_number not in body and worker.id_number[6:14] not in body
        assert worker.phone not in body
        assert BANK_ACCOUNT not in body
        assert mask_id_number(worker.id_number) in body and mask_phone(worker.phone) in body


def test_write_responses_are_masked_too(api, beilun_clerk, beilun_firm):
    api.force_authenticate(beilun_clerk)
    data = _registration(beilun_firm, bank_account=BANK_ACCOUNT)
    created = api.post("/api/workers/", data, format="json")
    assert created.status_code == 201, created.content
    changed = api.patch(f"/api/workers/{created.json()['id']}/", {"phone": "13912345678"}, format="json")
    assert changed.status_code == 200, changed.content
    for response, phone in ((created, data["phone"]), (changed, "13912345678")):
        body = response.content.decode()
        assert data["id_number"] not in body and phone not in body and BANK_ACCOUNT not in body
        assert json.loads(body)["phone"] == mask_phone(phone)


# --- Exact lookups and filters ------------------------------------------------------------------------------


def _x_number() -> str:
    return next(n for s in range(1, 999) if (n := make_id_number("330206", "19880808", s)).endswith("X"))


@pytest.mark.parametrize(
    "typed",
    [
        lambda n: n[:-1] + "x",
        lambda n: "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in n),
        lambda n: f"  {n[:6]} {n[6:14]} {n[14:]} ",
    ],
    ids=["lower-case-x", "full-width-digits", "spaces"],
)
def test_lookup_by_id_number_is_exact_through_the_hash(api, city_clerk, registry, beilun_firm, typed):
    number = _x_number()
    api.force_authenticate(city_clerk)
    created = api.post("/api/workers/", _registration(beilun_firm, id_number=number), format="json")
    assert created.status_code == 201, created.content
    with CaptureQueriesContext(connection) as queries:
        found = looked_up(api, id_number=typed(number))
    assert found == [created.json()["id"]]
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "id_number_hash" in sql and "LIKE" not in sql.upper()
    # Only the whole number matches: no prefix or partial search on personal data.
    assert looked_up(api, id_number=number[:-1]) == []


def looked_up(api, **body) -> list[int]:
    response = api.post("/api/workers/lookup/", body, format="json")
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()]


def test_lookup_by_phone_accepts_the_ways_people_write_it(api, city_clerk, registry):
    api.force_authenticate(city_clerk)
    beilun = registry["beilun"]["worker"]  # phone 13800000001
    assert looked_up(api, phone="+86 138-0000-0001") == [beilun.pk]
    assert looked_up(api, phone="1380000000") == []


def test_lookup_in_the_body_finds_exactly_within_the_scope(api, request, registry):
    beilun = Worker.objects.get(pk=registry["beilun"]["worker"].pk)
    typed = beilun.id_number[:6] + " " + beilun.id_number[6:]
    for persona, expected in (("beilun_official", [beilun.pk]), ("haishu_clerk", [])):
        api.force_authenticate(request.getfixturevalue(persona))
        with CaptureQueriesContext(connection) as queries:
            response = api.post("/api/workers/lookup/", {"id_number": typed}, format="json")
        assert response.status_code == 200, response.content
        assert [row["id"] for row in response.json()] == expected
        assert beilun.id_number not in response.content.decode()
        assert "LIKE" not in " ".join(q["sql"] for q in queries.captured_queries).upper()
    by_phone = api.post("/api/workers/lookup/", {"phone": "+86 13800000002"}, format="json")
    assert [row["id"] for row in by_phone.json()] == [registry["haishu"]["worker"].pk]
    both = api.post("/api/workers/lookup/", {"id_number": typed, "phone": "13800000001"}, format="json")
    assert both.status_code == 400


def test_name_filter_matches_a_prefix_only(api, city_clerk, beilun_firm):
    wang1 = register_worker(beilun_firm, sequence=11, name="王小明")
    wang2 = register_worker(beilun_firm, sequence=12, name="王大力")
    register_worker(beilun_firm, sequence=13, name="李王")
    api.force_authenticate(city_clerk)
    assert ids(api.get("/api/workers/", {"name__startswith": "王"})) == {wang1.pk, wang2.pk}


def test_filters_narrow_the_list(api, city_clerk, registry, beilun_firm):
    api.force_authenticate(city_clerk)
    beilun = registry["beilun"]["worker"]
    assert ids(api.get("/api/workers/", {"district_code": "330206"})) == {beilun.pk}
    assert ids(api.get("/api/workers/", {"enterprise": beilun_firm.pk})) == {beilun.pk}
    assert (
        ids(api.get("/api/certificates/", {"district_code": "330203"})) == registry["haishu"]["certificates"]
    )
    assert ids(api.get("/api/enterprises/", {"credit_code": beilun_firm.credit_code.lower()})) == {
        beilun_firm.pk
    }


def test_ordering_and_search_parameters_are_not_offered(api, city_clerk, beilun_firm):
    # Free ordering would sort millions of rows and search would mean LIKE '%x%'.
    workers = [register_worker(beilun_firm, sequence=20 + i, name=name) for i, name in enumerate("丙甲乙")]
    api.force_authenticate(city_clerk)
    rows = api.get("/api/workers/", {"ordering": "name", "search": "甲"}).json()["results"]
    assert [r["id"] for r in rows] == sorted((w.pk for w in workers), reverse=True)


# --- Writes through the services ---------------------------------------------------------------------------


def _registration(enterprise, **overrides) -> dict:
    data = {
        "name": "张三",
        "id_number": make_id_number("330206", "19900101", 123),
        "enterprise": enterprise.pk,
        "hired_on": "2015-06-01",
        "phone": "13912340000",
        "occupation": "数控车工",
        "education": "vocational",
        "union_member": True,
    }
    return data | overrides


def test_registration_opens_the_employment_and_is_audited(api, beilun_clerk, beilun_firm):
    api.force_authenticate(beilun_clerk)
    response = api.post("/api/workers/", _registration(beilun_firm), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    worker = Worker.objects.get(pk=body["id"])
    assert (body["district_code"], body["gender"], body["employed"]) == ("330206", "M", True)
    assert list(
        Employment.objects.filter(worker=worker).values_list("enterprise", "started_on", "ended_on")
    ) == [(beilun_firm.pk, D(2015, 6, 1), None)]
    event = AuditEvent.objects.get(action="worker.register", object_id=str(worker.pk))
    assert event.actor == beilun_clerk


def test_a_bad_id_number_is_a_400_naming_the_field_and_creates_nothing(api, beilun_clerk, beilun_firm):
    api.force_authenticate(beilun_clerk)
    good = make_id_number("330206", "19900101", 123)
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")
    response = api.post("/api/workers/", _registration(beilun_firm, id_number=bad), format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert error_fields(response)["id_number"]
    assert not Worker.objects.exists() and not Employment.objects.exists()
    assert not AuditEvent.objects.filter(action="worker.register").exists()


def test_a_hire_under_16_is_refused_on_the_hire_date(api, beilun_clerk, beilun_firm):
    api.force_authenticate(beilun_clerk)
    data = _registration(
        beilun_firm, id_number=make_id_number("330206", "20100101", 123), hired_on="2020-01-01"
    )
    response = api.post("/api/workers/", data, format="json")
    assert response.status_code == 400
    assert set(error_fields(response)) == {"hired_on"}
    assert not Worker.objects.exists()


def test_registering_at_another_districts_enterprise_is_refused(api, beilun_clerk, haishu_firm):
    api.force_authenticate(beilun_clerk)
    response = api.post("/api/workers/", _registration(haishu_firm), format="json")
    assert response.status_code == 400
    assert "enterprise" in error_fields(response)
    assert not Worker.objects.exists()


def test_change_employment_moves_the_district_and_keeps_the_history(api, city_clerk, registry, haishu_firm):
    api.force_authenticate(city_clerk)
    worker = registry["beilun"]["worker"]
    response = api.post(
        f"/api/workers/{worker.pk}/change-employment/",
        {"enterprise": haishu_firm.pk, "started_on": "2024-03-01", "position": "车间主任"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["district_code"], response.json()["position"]) == ("330203", "车间主任")
    worker.refresh_from_db()
    assert worker.district.code == "330203"
    spells = list(worker.employments.order_by("started_on").values_list("district__code", "ended_on"))
    assert spells == [("330206", D(2024, 3, 1)), ("330203", None)]


def test_a_district_clerk_cannot_move_a_worker_to_another_district(api, beilun_clerk, registry, haishu_firm):
    api.force_authenticate(beilun_clerk)
    worker = registry["beilun"]["worker"]
    response = api.post(
        f"/api/workers/{worker.pk}/change-employment/",
        {"enterprise": haishu_firm.pk, "started_on": "2024-03-01"},
        format="json",
    )
    assert response.status_code == 400 and "enterprise" in error_fields(response)
    assert Worker.objects.get(pk=worker.pk).district.code == "330206"


def test_leave_ends_the_employment(api, beilun_clerk, registry):
    api.force_authenticate(beilun_clerk)
    worker = registry["beilun"]["worker"]
    response = api.post(f"/api/workers/{worker.pk}/leave/", {"left_on": "2024-06-30"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["employed"] is False
    assert list(worker.employments.values_list("ended_on", flat=True)) == [D(2024, 6, 30)]
    assert ids(api.get("/api/workers/", {"employed": "false"})) == {worker.pk}
    again = api.post(f"/api/workers/{worker.pk}/leave/", {"left_on": "2024-07-01"}, format="json")
    assert again.status_code == 400 and "left_on" in error_fields(again)


def test_patch_goes_through_worker_update_and_refuses_employment_fields(
    api, beilun_clerk, registry, haishu_firm
):
    api.force_authenticate(beilun_clerk)
    worker = registry["beilun"]["worker"]
    response = api.patch(
        f"/api/workers/{worker.pk}/", {"name": " 北仑职工甲 ", "union_member": True}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "北仑职工甲"  # stripped by the service
    event = AuditEvent.objects.get(action="worker.update", object_id=str(worker.pk))
    assert event.data == {"fields": ["name", "union_member"]}
    moved = api.patch(f"/api/workers/{worker.pk}/", {"district": haishu_firm.district_id}, format="json")
    bad_phone = api.patch(f"/api/workers/{worker.pk}/", {"phone": "12345"}, format="json")
    assert moved.status_code == bad_phone.status_code == 400
    assert set(error_fields(moved)) == {"district"} and set(error_fields(bad_phone)) == {"phone"}
    worker.refresh_from_db()
    assert (worker.district.code, worker.phone) == ("330206", "13800000001")


@pytest.mark.parametrize("endpoint", ["workers", "certificates", "craftsman-awards", "enterprises"])
def test_history_cannot_be_deleted_or_replaced(api, city_clerk, registry, endpoint):
    api.force_authenticate(city_clerk)
    pk = next(iter(registry["beilun"][endpoint]))
    # No role holds the delete permission, so DELETE stops at the permission check (403) before
    # the missing method (405); either way the row stays.
    assert api.delete(f"/api/{endpoint}/{pk}/").status_code in (403, 405)
    assert api.put(f"/api/{endpoint}/{pk}/", {}, format="json").status_code == 405
    assert ids(api.get(f"/api/{endpoint}/")) >= {pk}


def test_certificates_are_issued_and_revoked_through_the_services(api, beilun_clerk, registry):
    api.force_authenticate(beilun_clerk)
    worker = registry["beilun"]["worker"]  # holds a 高级工 certificate already
    issued = api.post(
        "/api/certificates/",
        {"worker": worker.pk, "skill_level": SkillLevel.TECHNICIAN, "occupation": "车工", "number": "T-1",
         "issued_on": "2023-05-01", "issuing_body": "宁波市职业技能鉴定中心"},
        format="json",
    )  # fmt: skip
    assert issued.status_code == 201, issued.content
    assert issued.json()["skill_level"] == SkillLevel.TECHNICIAN
    assert Worker.objects.get(pk=worker.pk).skill_level == SkillLevel.TECHNICIAN
    url = f"/api/certificates/{issued.json()['id']}/revoke/"
    no_reason = api.post(url, {"revoked_on": str(timezone.localdate()), "reason": "  "}, format="json")
    assert no_reason.status_code == 400 and "reason" in error_fields(no_reason)
    revoked = api.post(url, {"revoked_on": str(timezone.localdate()), "reason": "证书造假"}, format="json")
    assert revoked.status_code == 200, revoked.content
    assert revoked.json()["revoke_reason"] == "证书造假"
    assert Worker.objects.get(pk=worker.pk).skill_level == SkillLevel.SENIOR
    assert AuditEvent.objects.filter(action="certificate.revoke", actor=beilun_clerk).count() == 1


def test_awards_are_granted_through_the_service(api, beilun_clerk, registry):
    api.force_authenticate(beilun_clerk)
    worker = registry["beilun"]["worker"]
    title = CraftsmanTitle.objects.get(name="浙江工匠")
    data = {
        "worker": worker.pk,
        "title": title.pk,
        "year": 2024,
        "nominated_by": "self",
        "locally_trained": True,
    }
    response = api.post("/api/craftsman-awards/", data, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["title_name"], response.json()["locally_trained"]) == ("浙江工匠", True)
    assert AuditEvent.objects.filter(action="award.grant", actor=beilun_clerk).exists()
    twice = api.post("/api/craftsman-awards/", data, format="json")
    assert twice.status_code == 400 and "title" in error_fields(twice)


def test_enterprises_are_registered_and_changed_within_the_scope(api, beilun_clerk, db):
    api.force_authenticate(beilun_clerk)
    from tests.factories import make_credit_code

    data = {
        "name": "北仑新材料有限公司",
        "credit_code": make_credit_code(4242).lower(),
        "district": district("330206").pk,
    }
    created = api.post("/api/enterprises/", data, format="json")
    assert created.status_code == 201, created.content
    enterprise = Enterprise.objects.get(pk=created.json()["id"])
    assert enterprise.credit_code == make_credit_code(4242)  # normalised by the service
    assert AuditEvent.objects.filter(action="enterprise.register", object_id=str(enterprise.pk)).exists()

    elsewhere = api.post(
        "/api/enterprises/", data | {"credit_code": make_credit_code(4243), "district": district("330203").pk}
    )
    assert elsewhere.status_code == 403
    assert not Enterprise.objects.filter(credit_code=make_credit_code(4243)).exists()

    url = f"/api/enterprises/{enterprise.pk}/"
    changed = api.patch(url, {"union_established_on": "2020-05-01", "pilot_level": "city"}, format="json")
    assert changed.status_code == 200, changed.content
    assert (changed.json()["has_union"], changed.json()["pilot_level"]) == (True, "city")
    moved = api.patch(url, {"district": district("330203").pk}, format="json")
    assert moved.status_code == 400 and set(error_fields(moved)) == {"district"}
    assert Enterprise.objects.get(pk=enterprise.pk).district.code == "330206"


def test_a_bad_credit_code_names_the_field(api, city_clerk):
    api.force_authenticate(city_clerk)
    response = api.post(
        "/api/enterprises/",
        {"name": "某公司", "credit_code": "91330206000000000X", "district": district("330206").pk},
    )
    assert response.status_code == 400 and "credit_code" in error_fields(response)
    assert not Enterprise.objects.exists()


# --- Cost ---------------------------------------------------------------------------------------------------


def _grow(count: int, start: int) -> None:
    """Workers each at their own enterprise with a certificate and an award: an N+1 would show."""
    for i in range(start, start + count):
        firm = EnterpriseFactory(district=district("330206" if i % 2 else "330203"))
        worker = register_worker(firm, sequence=100 + i, name=f"职工{i}")
        _with_records(worker, f"N-{i}")


@pytest.mark.parametrize("endpoint", LISTS)
def test_a_list_costs_the_same_queries_for_3_rows_as_for_30(api, city_clerk, endpoint):
    api.force_authenticate(city_clerk)
    counts = []
    for start, added in ((0, 3), (3, 27)):
        _grow(added, start)
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"/api/{endpoint}/")
        assert len(ids(response)) == start + added
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 2, counts


# --- Schema -------------------------------------------------------------------------------------------------


def test_the_schema_lists_the_registry_endpoints(api, city_clerk):
    api.force_authenticate(city_clerk)  # the schema is for signed-in users only
    schema = api.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/enterprises/", "/api/enterprises/{id}/", "/api/workers/", "/api/workers/{id}/",
        "/api/workers/{id}/change-employment/", "/api/workers/{id}/leave/", "/api/workers/lookup/",
        "/api/employments/",
        "/api/certificates/", "/api/certificates/{id}/revoke/", "/api/craftsman-titles/", "/api/craftsman-awards/",
    ):  # fmt: skip
        assert path in paths, path
    assert set(paths["/api/workers/{id}/"]) == {"get", "patch"}
    # Personal data is never a query parameter: the lookup takes it in a POST body.
    parameters = {p["name"] for p in paths["/api/workers/"]["get"]["parameters"]}
    assert "name__startswith" in parameters and not parameters & {"id_number", "phone"}
    assert set(paths["/api/workers/lookup/"]) == {"post"}


def test_the_schema_generates_without_warnings_and_validates(db):
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    problems = list(GENERATOR_STATS._warn_cache) + list(GENERATOR_STATS._error_cache)
    assert problems == []
    validate_schema(schema)
