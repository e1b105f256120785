"""The training and money API: scope per role, masked accounts, writes through the services, query counts."""

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from freezegun import freeze_time
from rest_framework.test import APIClient

from portal.models import AuditEvent
from tests.factories import EnterpriseFactory, district, register_worker
from training.choices import ClaimKind, ClaimStatus, PaymentStatus, ProgramType
from training.models import Claim, Payment, PaymentBatch, SubsidyRule, TrainingProgram
from training.services import batch_create, batch_disbursement_file, claim_approve, claim_review, claim_submit
from training.services.programs import apprenticeship_create, enrollment_create
from workers.choices import SkillLevel
from workers.services import certificate_issue

D = datetime.date
ACCOUNT = "6222021234567890123"  # the Beilun worker's, from tests/training/conftest.py
HAISHU_ACCOUNT = "6222029876543210987"
READ_ONLY = ["training-programs", "enrollments", "apprenticeships"]


@pytest.fixture(autouse=True)
def _june_2025():
    with freeze_time("2025-06-01 10:00:00+08:00"):
        yield


@pytest.fixture(autouse=True)
def _no_yearly_limit(db):
    SubsidyRule.objects.update(yearly_limit=None)


@pytest.fixture
def api():
    client = APIClient()
    # Refusals are compared in English; responses are Chinese unless the language cookie says otherwise.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def error_fields(response) -> dict:
    return response.json()["error"]["fields"]


def _claim(worker, by, occupation: str, level=SkillLevel.JUNIOR, number: str | None = None) -> Claim:
    certificate = certificate_issue(
        by=None, worker_id=worker.pk, level=level, occupation=occupation,
        number=number or f"C-{worker.pk}-{occupation}", issued_on=D(2025, 3, 1),
    )  # fmt: skip
    return claim_submit(
        by=by, worker_id=worker.pk, kind=ClaimKind.SKILL_SUBSIDY, certificate_id=certificate.pk
    )


def _records(worker, firm, by, suffix: str) -> dict:
    """A claim, a program, an enrolment and an apprenticeship in the worker's district."""
    program = TrainingProgram.objects.create(
        name=f"数控技能提升班{suffix}", program_type=ProgramType.SKILL_UPGRADE, provider_school="宁波技师学院",
        district=firm.district, starts_on=D(2025, 1, 1), ends_on=D(2025, 12, 31),
    )  # fmt: skip
    enrollment = enrollment_create(
        by=None, worker_id=worker.pk, program_id=program.pk, enrolled_on=D(2025, 2, 1)
    )
    apprentice = register_worker(
        firm, sequence=60 + len(suffix), name=f"学徒{suffix}", hired_on=D(2024, 1, 1)
    )
    pair = apprenticeship_create(
        by=None, master_id=worker.pk, apprentice_id=apprentice.pk, occupation="车工",
        skill_target=SkillLevel.INTERMEDIATE, starts_on=D(2024, 3, 1), ends_on=D(2025, 3, 1),
    )  # fmt: skip
    return {
        "worker": worker,
        "claims": {_claim(worker, by, f"车工{suffix}").pk},
        "training-programs": {program.pk},
        "enrollments": {enrollment.pk},
        "apprenticeships": {pair.pk},
    }


@pytest.fixture
def records(worker, beilun_firm, beilun_clerk, haishu_clerk):
    haishu_firm = EnterpriseFactory(district=district("330203"))
    haishu_worker = register_worker(haishu_firm, sequence=41, name="海曙职工", bank_account=HAISHU_ACCOUNT)
    return {
        "beilun": _records(worker, beilun_firm, beilun_clerk, "B"),
        "haishu": _records(haishu_worker, haishu_firm, haishu_clerk, "HH"),
    }


@pytest.fixture
def linked_worker_user(worker_user, worker):
    worker_user.worker = worker
    worker_user.save()
    return worker_user


# --- Who sees what ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["claims", *READ_ONLY])
@pytest.mark.parametrize(
    ("persona", "own"),
    [("beilun_clerk", "beilun"), ("beilun_official", "beilun"), ("haishu_official", "haishu")],
)
def test_district_roles_see_only_their_district(api, request, records, endpoint, persona, own):
    api.force_authenticate(request.getfixturevalue(persona))
    other = "haishu" if own == "beilun" else "beilun"
    assert ids(api.get(f"/api/{endpoint}/")) == records[own][endpoint]
    assert api.get(f"/api/{endpoint}/{next(iter(records[other][endpoint]))}/").status_code == 404


@pytest.mark.parametrize("endpoint", ["claims", *READ_ONLY])
def test_city_staff_see_every_district(api, city_clerk, records, endpoint):
    api.force_authenticate(city_clerk)
    assert ids(api.get(f"/api/{endpoint}/")) == records["beilun"][endpoint] | records["haishu"][endpoint]


def test_a_worker_sees_only_their_own_claims_and_the_rules(api, linked_worker_user, records):
    api.force_authenticate(linked_worker_user)
    own, other = records["beilun"], records["haishu"]
    for endpoint in ("claims", "enrollments", "apprenticeships"):
        assert ids(api.get(f"/api/{endpoint}/")) == own[endpoint], endpoint
        assert api.get(f"/api/{endpoint}/{next(iter(other[endpoint]))}/").status_code == 404
    assert ids(api.get("/api/training-programs/")) == set()  # programs are district records
    assert ids(api.get("/api/subsidy-rules/")) == set(SubsidyRule.objects.values_list("pk", flat=True))


def test_the_read_only_endpoints_take_no_writes(api, city_clerk, records):
    api.force_authenticate(city_clerk)
    for endpoint in [*READ_ONLY, "subsidy-rules"]:
        assert api.post(f"/api/{endpoint}/", {}, format="json").status_code in (403, 405), endpoint
    rule = SubsidyRule.objects.first()
    assert api.patch(f"/api/subsidy-rules/{rule.pk}/", {"amount": "1"}, format="json").status_code in (
        403,
        405,
    )


def test_payment_batches_are_for_staff_only(api, records, beilun_official, linked_worker_user, city_clerk):
    for user in (beilun_official, linked_worker_user):
        api.force_authenticate(user)
        assert api.get("/api/payment-batches/").status_code == 403
    api.force_authenticate(city_clerk)
    assert api.get("/api/payment-batches/").status_code == 200


# --- Submitting -----------------------------------------------------------------------------------------------


def test_a_clerk_submits_a_claim_and_the_account_comes_back_masked(api, beilun_clerk, worker, certify):
    certificate = certify(SkillLevel.INTERMEDIATE, D(2025, 3, 1))
    api.force_authenticate(beilun_clerk)
    response = api.post(
        "/api/claims/",
        {"worker": worker.pk, "kind": "skill_subsidy", "certificate": certificate.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["amount"], body["status"], body["submitted_online"]) == ("1500.00", "submitted", False)
    # A claim holds no account: each payment attempt carries the one it was sent to, masked.
    assert body["payments"] == [] and ACCOUNT not in response.content.decode()
    assert body["reference"] == Claim.objects.get().reference
    assert AuditEvent.objects.filter(action="claim.submit", actor=beilun_clerk).exists()


def test_a_refused_claim_is_a_400_with_the_rules_message_on_the_right_field(
    api, beilun_clerk, worker, certify
):
    late = certify(SkillLevel.JUNIOR, D(2023, 1, 1))
    api.force_authenticate(beilun_clerk)
    response = api.post(
        "/api/claims/", {"worker": worker.pk, "kind": "skill_subsidy", "certificate": late.pk}, format="json"
    )
    assert response.status_code == 400
    assert "12 months" in " ".join(error_fields(response)["certificate"])
    tuition = api.post(
        "/api/claims/",
        {"worker": worker.pk, "kind": "tuition", "degree": "bachelor", "institution": "宁波大学", "major": "机械工程",
         "tuition_paid": "8000", "paid_on": "2025-02-01", "relevant_to_job": False},
        format="json",
    )  # fmt: skip
    assert tuition.status_code == 400 and set(error_fields(tuition)) == {"relevant_to_job"}
    amount = api.post(
        "/api/claims/", {"worker": worker.pk, "kind": "tuition", "amount": "99999"}, format="json"
    )
    assert amount.status_code == 400 and "amount" in error_fields(amount)
    assert not Claim.objects.exists()


def test_tuition_is_reimbursed_at_the_rules_rate_with_a_receipt(
    api, beilun_clerk, worker, tmp_path, settings
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    api.force_authenticate(beilun_clerk)
    response = api.post(
        "/api/claims/",
        {"worker": worker.pk, "kind": "tuition", "degree": "bachelor", "institution": "宁波大学", "major": "机械工程",
         "tuition_paid": "8000", "paid_on": "2025-02-01", "relevant_to_job": "true",
         "receipt": SimpleUploadedFile("发票.pdf", b"%PDF-1.4", content_type="application/pdf")},
        format="multipart",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["amount"] == "5600.00" and body["tuition"]["has_receipt"] is True
    assert body["tuition"]["institution"] == "宁波大学"


def test_a_worker_submits_online_only_for_themself(api, linked_worker_user, worker, certify, records):
    certificate = certify(SkillLevel.JUNIOR, D(2025, 3, 1), occupation="钳工")
    api.force_authenticate(linked_worker_user)
    own = api.post(
        "/api/claims/",
        {"worker": worker.pk, "kind": "skill_subsidy", "certificate": certificate.pk},
        format="json",
    )
    assert own.status_code == 201, own.content
    assert own.json()["submitted_online"] is True and ACCOUNT not in own.content.decode()
    other = records["haishu"]["worker"]
    refused = api.post("/api/claims/", {"worker": other.pk, "kind": "skill_subsidy"}, format="json")
    assert refused.status_code == 400 and "worker" in error_fields(refused)
    assert Claim.objects.filter(worker=other).count() == 1  # the fixture's only


# --- Review, approve, reject, cancel ---------------------------------------------------------------------------


@pytest.fixture
def beilun_claim(records):
    return Claim.objects.get(pk=next(iter(records["beilun"]["claims"])))


def test_review_then_approve_by_two_other_people(api, beilun_claim, beilun_reviewer, beilun_approver):
    api.force_authenticate(beilun_reviewer)
    reviewed = api.post(f"/api/claims/{beilun_claim.pk}/review/", {"note": "材料齐全"}, format="json")
    assert reviewed.status_code == 200, reviewed.content
    assert reviewed.json()["status"] == "reviewed" and reviewed.json()["reviewed_by"] == beilun_reviewer.pk
    own_review = api.post(f"/api/claims/{beilun_claim.pk}/approve/", {}, format="json")
    assert own_review.status_code == 403
    api.force_authenticate(beilun_approver)
    approved = api.post(f"/api/claims/{beilun_claim.pk}/approve/", {}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    again = api.post(f"/api/claims/{beilun_claim.pk}/approve/", {}, format="json")
    assert again.status_code == 400 and "cannot be approved" in again.json()["error"]["message"]


def test_officials_and_workers_cannot_review_or_approve(
    api, beilun_claim, beilun_official, linked_worker_user, records
):
    for user in (beilun_official, linked_worker_user):
        api.force_authenticate(user)
        for step in ("review", "approve", "reject", "cancel"):
            response = api.post(f"/api/claims/{beilun_claim.pk}/{step}/", {"reason": "x"}, format="json")
            assert response.status_code == 403, (user, step)
    assert Claim.objects.get(pk=beilun_claim.pk).status == ClaimStatus.SUBMITTED


def test_a_haishu_clerk_cannot_reach_a_beilun_claim(api, beilun_claim, haishu_clerk):
    api.force_authenticate(haishu_clerk)
    assert api.post(f"/api/claims/{beilun_claim.pk}/review/", {}, format="json").status_code == 404
    assert Claim.objects.get(pk=beilun_claim.pk).status == ClaimStatus.SUBMITTED


def test_reject_needs_a_reason_and_cancel_needs_an_approval(
    api, beilun_claim, beilun_reviewer, beilun_approver, records, beilun_clerk
):
    api.force_authenticate(beilun_reviewer)
    url = f"/api/claims/{beilun_claim.pk}/"
    assert api.post(f"{url}reject/", {}, format="json").status_code == 400
    assert api.post(f"{url}cancel/", {"reason": "撤回"}, format="json").status_code == 400
    rejected = api.post(f"{url}reject/", {"reason": "证书与工种不符"}, format="json")
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["closed_reason"]) == ("rejected", "证书与工种不符")
    second = _claim(records["beilun"]["worker"], beilun_clerk, "铣工")
    claim_review(claim_id=second.pk, by=beilun_reviewer)
    claim_approve(claim_id=second.pk, by=beilun_approver)
    cancelled = api.post(f"/api/claims/{second.pk}/cancel/", {"reason": "职工撤回"}, format="json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


def test_claim_filters_narrow_the_list(api, city_clerk, records, beilun_claim, beilun_reviewer):
    claim_review(claim_id=beilun_claim.pk, by=beilun_reviewer)
    haishu = records["haishu"]
    api.force_authenticate(city_clerk)
    assert ids(api.get("/api/claims/", {"district_code": "330203"})) == haishu["claims"]
    assert ids(api.get("/api/claims/", {"status": "reviewed"})) == {beilun_claim.pk}
    assert ids(api.get("/api/claims/", {"reference": beilun_claim.reference.lower()})) == {beilun_claim.pk}
    assert ids(api.get("/api/claims/", {"reference": "XF" + beilun_claim.reference[2:]})) == set()
    # A worker's claims by ID number: the number goes in a body to the lookup, never into a URL.
    worker = haishu["worker"]
    found = api.post("/api/workers/lookup/", {"id_number": worker.id_number.lower()}, format="json")
    assert [row["id"] for row in found.json()] == [worker.pk]
    assert ids(api.get("/api/claims/", {"worker": worker.pk})) == haishu["claims"]
    assert api.get("/api/claims/", {"worker_id_number": worker.id_number}).status_code == 400
    assert ids(api.get("/api/enrollments/", {"district_code": "330206"})) == records["beilun"]["enrollments"]
    assert ids(api.get("/api/apprenticeships/", {"active_on": "2024-06-01"})) == (
        records["beilun"]["apprenticeships"] | haishu["apprenticeships"]
    )
    assert ids(api.get("/api/apprenticeships/", {"active_on": "2025-06-01"})) == set()
    in_force = ids(
        api.get(
            "/api/subsidy-rules/", {"kind": "skill_subsidy", "skill_level": 3, "in_force_on": "2025-06-01"}
        )
    )
    assert len(in_force) == 1


# --- Payment batches -------------------------------------------------------------------------------------------


def test_a_batch_is_created_and_paid_once_through_the_api(
    api, beilun_claim, beilun_reviewer, beilun_approver, city_clerk, beilun_clerk, payment_clerk, reconciler
):
    claim_review(claim_id=beilun_claim.pk, by=beilun_reviewer)
    claim_approve(claim_id=beilun_claim.pk, by=beilun_approver)
    api.force_authenticate(beilun_clerk)
    city_wide = api.post("/api/payment-batches/", {"note": "x"}, format="json")
    assert city_wide.status_code == 403  # a district clerk makes district batches only
    created = api.post("/api/payment-batches/", {"district": district("330206").pk}, format="json")
    assert created.status_code == 201, created.content
    assert (created.json()["payment_count"], created.json()["total"]) == (1, "1000.00")
    assert created.json()["held_back"] == {} and created.json()["status"] == "open"
    url = f"/api/payment-batches/{created.json()['id']}/pay/"
    refused = api.post(url, {"bank_reference": "ICBC-1"}, format="json")
    assert refused.status_code == 403 and "payment staff" in refused.json()["error"]["message"]
    batch_disbursement_file(by=payment_clerk, batch_id=created.json()["id"])  # sent, in the admin
    api.force_authenticate(reconciler)
    paid = api.post(url, {"bank_reference": "ICBC-1"}, format="json")
    assert paid.status_code == 200, paid.content
    assert paid.json()["paid"] == 1 and paid.json()["batch"]["status"] == "reconciled"
    again = api.post(url, {"bank_reference": "ICBC-1"}, format="json").json()
    assert again["paid"] == 0 and again["refused"] == {"already paid": [beilun_claim.reference]}
    attempt = api.get(f"/api/claims/{beilun_claim.pk}/").json()["payments"][0]
    assert attempt["payee_account"] == "6222 **** **** 0123" and attempt["status"] == "paid"
    assert Payment.objects.filter(claim=beilun_claim, status=PaymentStatus.PAID).count() == 1
    assert Claim.objects.get(pk=beilun_claim.pk).status == ClaimStatus.PAID


def test_there_is_no_disbursement_download_in_the_api(api, beilun_claim, city_approver, payment_clerk):
    claim_review(claim_id=beilun_claim.pk, by=city_approver)
    claim_approve(claim_id=beilun_claim.pk, by=payment_clerk)
    batch = batch_create(by=city_approver)
    api.force_authenticate(payment_clerk)
    for suffix in ("disbursement/", "disbursement_file/", "export/", "?format=xlsx"):
        response = api.get(f"/api/payment-batches/{batch.pk}/{suffix}")
        assert ACCOUNT not in response.content.decode(), suffix
    assert not AuditEvent.objects.filter(action="batch.disbursement_download").exists()
    assert PaymentBatch.objects.get(pk=batch.pk).sent_at is None


# --- Masking and cost ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["city_clerk", "beilun_clerk", "beilun_official", "linked_worker_user"])
def test_the_payee_account_is_masked_in_every_response(api, request, records, persona):
    api.force_authenticate(request.getfixturevalue(persona))
    claim_id = next(iter(records["beilun"]["claims"]))
    for url in ("/api/claims/", f"/api/claims/{claim_id}/"):
        for accept in ("application/json", "text/html"):
            response = api.get(url, HTTP_ACCEPT=accept)
            assert response.status_code == 200
            body = response.content.decode()
            assert ACCOUNT not in body and HAISHU_ACCOUNT not in body and ACCOUNT[4:-4] not in body


@pytest.mark.parametrize("endpoint", ["claims", "payment-batches", "enrollments", "subsidy-rules"])
def test_a_list_costs_the_same_queries_for_3_rows_as_for_30(api, city_clerk, city_approver, endpoint):
    from training.services import claims_approve_bulk, claims_review_bulk

    api.force_authenticate(city_clerk)
    api.get(f"/api/{endpoint}/")  # the user's permissions are cached on the user after the first check
    program = TrainingProgram.objects.create(
        name="焊工班", program_type=ProgramType.SKILL_UPGRADE, provider_school="宁波技师学院",
        district=district("330206"), starts_on=D(2025, 1, 1), ends_on=D(2025, 12, 31),
    )  # fmt: skip
    counts = []
    for start, added in ((0, 3), (3, 27)):
        for i in range(start, start + added):
            firm = EnterpriseFactory(district=district("330206" if i % 2 else "330203"))
            other = register_worker(
                firm, sequence=200 + i, name=f"职工{i}", bank_account=f"62220200000{i:08d}"
            )
            claim = _claim(other, None, f"工种{i}", level=SkillLevel.JUNIOR + i % 3)
            claims_review_bulk(by=city_clerk, claim_ids=[claim.pk])
            claims_approve_bulk(by=city_approver, claim_ids=[claim.pk])
            batch_create(by=city_clerk, claim_ids=[claim.pk])
            enrollment_create(by=None, worker_id=other.pk, program_id=program.pk, enrolled_on=D(2025, 2, 1))
            SubsidyRule.objects.create(
                kind=ClaimKind.SKILL_SUBSIDY, name=f"规则{i}", valid_from=D(2020, 1, 1), level=1, amount=1
            )
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"/api/{endpoint}/")
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 2, counts


# --- Schema ----------------------------------------------------------------------------------------------------------


def test_the_schema_lists_the_training_endpoints(api, city_clerk):
    api.force_authenticate(city_clerk)  # the schema is for signed-in users only
    paths = api.get("/api/schema/?format=json").json()["paths"]
    for path in (
        "/api/training-programs/", "/api/enrollments/", "/api/apprenticeships/", "/api/subsidy-rules/",
        "/api/claims/", "/api/claims/{id}/", "/api/claims/{id}/review/", "/api/claims/{id}/approve/",
        "/api/claims/{id}/reject/", "/api/claims/{id}/cancel/", "/api/payment-batches/",
        "/api/payment-batches/{id}/", "/api/payment-batches/{id}/pay/",
    ):  # fmt: skip
        assert path in paths, path
    assert set(paths["/api/claims/"]) == {"get", "post"}
    assert set(paths["/api/subsidy-rules/"]) == {"get"}
    assert not [p for p in paths if "disbursement" in p]
    description = paths["/api/payment-batches/"]["get"]["description"]
    assert "disbursement file is not available through the API" in description


def test_the_training_schema_generates_without_warnings_and_validates(db):
    # Only this app's endpoints: the whole schema is checked by `manage.py spectacular --validate
    # --fail-on-warn` and tests/workers/test_api.py, where another app's collision would show instead.
    from django.urls import include, path
    from rest_framework.routers import DefaultRouter

    from training import api as training_api

    router = DefaultRouter()
    for prefix, viewset in (
        ("training-programs", training_api.TrainingProgramViewSet),
        ("enrollments", training_api.EnrollmentViewSet),
        ("apprenticeships", training_api.ApprenticeshipViewSet),
        ("subsidy-rules", training_api.SubsidyRuleViewSet),
        ("claims", training_api.ClaimViewSet),
        ("payment-batches", training_api.PaymentBatchViewSet),
    ):
        router.register(prefix, viewset, basename=prefix)
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/", include(router.urls))])
    schema = generator.get_schema(request=None, public=True)
    problems = list(GENERATOR_STATS._warn_cache) + list(GENERATOR_STATS._error_cache)
    assert problems == []
    validate_schema(schema)
    # One enum per choice set, named after its class (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
    enums = {name for name in schema["components"]["schemas"] if name.endswith("Enum")}
    assert {
        "ClaimKindEnum",
        "ClaimStatusEnum",
        "EnrollmentStatusEnum",
        "BatchStatusEnum",
        "ProgramTypeEnum",
    } <= enums


def test_a_tuition_claim_without_a_receipt_or_for_a_payment_already_claimed_is_refused(
    api, beilun_clerk, worker, tmp_path, settings
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    api.force_authenticate(beilun_clerk)
    fields = {"worker": worker.pk, "kind": "tuition", "degree": "bachelor", "institution": "宁波大学",
              "major": "机械工程", "tuition_paid": "8000", "paid_on": "2025-02-01", "relevant_to_job": "true"}  # fmt: skip
    bare = api.post("/api/claims/", fields, format="multipart")
    assert bare.status_code == 400 and set(error_fields(bare)) == {"receipt"}
    first = api.post(
        "/api/claims/", fields | {"receipt": SimpleUploadedFile("a.pdf", b"%PDF-1.4 a")}, format="multipart"
    )
    assert first.status_code == 201 and first.json()["rule_version"] == 1
    again = api.post(
        "/api/claims/", fields | {"receipt": SimpleUploadedFile("b.pdf", b"%PDF-1.4 b")}, format="multipart"
    )
    assert again.status_code == 400 and first.json()["reference"] in again.content.decode()
    assert Claim.objects.count() == 1
