"""The worker's pages: /me/ and its details, ownership (404), query counts, applying online, accessibility."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mediation import services as mediation_services
from mediation.choices import CaseSource, CaseStatus, CommitteeKind, DisputeType
from mediation.models import DisputeCase
from portal.choices import Role
from tests.factories import UserFactory, district
from tests.portal.test_pages import accessibility_problems
from tests.selfservice import test_selfservice as account_tests
from training.choices import ClaimKind, ClaimStatus
from training.models import Claim
from training.services import claim_reject, claim_review, claim_submit
from workers.choices import SkillLevel
from workers.services import certificate_issue

pytestmark = pytest.mark.django_db

# Fixtures shared with the account tests.
firm = account_tests.firm
haishu_firm = account_tests.haishu_firm
worker = account_tests.worker
other_worker = account_tests.other_worker
worker_account = account_tests.worker_account
other_account = account_tests.other_account

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64


def today():
    return timezone.localdate()


def days_ago(n: int) -> datetime.date:
    return today() - datetime.timedelta(days=n)


_numbers = iter(range(1, 100_000))


def certify(worker, level=SkillLevel.JUNIOR, issued_on=None, occupation="数控车工"):
    return certificate_issue(
        by=None,
        worker_id=worker.pk,
        level=level,
        occupation=occupation,
        number=f"CERT-{worker.pk}-{next(_numbers)}",
        issued_on=issued_on or days_ago(30),
    )


_receipts = iter(range(1, 100_000))


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # receipts of the claims made here


def tuition_claim(worker, by=None, paid=Decimal("1000"), online=False):
    # Each call is another payment with its own receipt: one payment, or one receipt, backs one claim.
    n = next(_receipts)
    return claim_submit(
        by=by,
        online=online,
        worker_id=worker.pk,
        kind=ClaimKind.TUITION,
        tuition={
            "degree": "college",
            "institution": "宁波职业技术学院",
            "major": "机电一体化",
            "tuition_paid": paid,
            "paid_on": days_ago(10 + n % 300),
            "relevant_to_job": True,
            "receipt": SimpleUploadedFile("收据.pdf", PDF + b"%d" % n),
        },
    )


def apprentice_of(worker, sequence):
    from tests.factories import register_worker
    from training.services.programs import apprenticeship_create

    apprentice = register_worker(worker.enterprise, sequence=sequence, name=f"徒弟{sequence}")
    return apprenticeship_create(
        by=None,
        master_id=worker.pk,
        apprentice_id=apprentice.pk,
        occupation="数控车工",
        skill_target=SkillLevel.INTERMEDIATE,
        starts_on=days_ago(100),
        ends_on=days_ago(100) + datetime.timedelta(days=365),
    )


def enrol(worker, name="数控技能提升班"):
    from training.models import TrainingProgram
    from training.services.programs import enrollment_create

    program = TrainingProgram.objects.create(
        name=name, program_type="skill_upgrade", provider_school="宁波技师学院", district=worker.district,
        starts_on=days_ago(60), ends_on=days_ago(5),
    )  # fmt: skip
    return enrollment_create(by=None, worker_id=worker.pk, program_id=program.pk, enrolled_on=days_ago(60))


def award(worker, year=2024):
    from workers.models import CraftsmanAward, CraftsmanTitle

    return CraftsmanAward.objects.create(
        worker=worker, title=CraftsmanTitle.objects.first(), year=year, nominated_by="employer"
    )


@pytest.fixture
def reviewer(roles):
    return UserFactory(username="beilun_reviewer", role=Role.DISTRICT_STAFF, district=district("330206"))


@pytest.fixture
def street_committee(db):
    return mediation_services.committee_establish(
        by=None, kind=CommitteeKind.STREET, name="小港街道调解委员会", established_on=datetime.date(2020, 1, 1),
        district_id=district("330206").pk,
    )  # fmt: skip


def apply_case(worker, user, claim="拖欠三月工资"):
    return mediation_services.case_apply(
        by=user,
        applicant_ids=[worker.pk],
        dispute_type=DisputeType.PAY,
        claim=claim,
        source=CaseSource.ONLINE,
    )


@pytest.fixture
def signed_in(client, worker_account):
    client.force_login(worker_account)
    return client


# --- /me/ -----------------------------------------------------------------------------------------------


def test_my_records_show_masked_details_certificates_claims_and_cases(
    signed_in, worker, worker_account, beilun_clerk, reviewer
):
    certify(worker, SkillLevel.INTERMEDIATE, occupation="焊工")
    submitted = tuition_claim(worker, by=beilun_clerk)
    submitted = claim_review(claim_id=submitted.pk, by=reviewer)
    rejected = tuition_claim(worker, by=beilun_clerk)
    claim_reject(claim_id=rejected.pk, by=reviewer, reason="发票金额与学校证明不符")
    case = apply_case(worker, worker_account)
    pair = apprentice_of(worker, 61)
    enrol(worker)
    title = award(worker).title

    html = signed_in.get("/me/").content.decode()
    assert pair.apprentice.name in html and "数控技能提升班" in html and title.name in html
    assert pair.apprentice.id_number_masked not in html
    assert worker.id_number not in html and worker.phone not in html and worker.bank_account not in html
    assert worker.id_number_masked in html and worker.phone_masked in html
    assert "焊工" in html
    assert submitted.reference in html and rejected.reference in html
    assert submitted.reviewed_at.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d") in html
    assert "发票金额与学校证明不符" in html
    assert case.number in html
    assert 'class="deadline' in html


def test_my_records_keep_the_same_number_of_queries_however_many_records(client, worker, worker_account):
    client.force_login(worker_account)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/me/").status_code == 200
        return len(queries)

    for n in range(2):
        tuition_claim(worker)
        certify(worker, occupation=f"工种{n}")
    apply_case(worker, worker_account)
    apprentice_of(worker, 70)
    enrol(worker, "班级0")
    award(worker, 2020)
    few = count()
    for n in range(18):
        tuition_claim(worker)
        certify(worker, occupation=f"更多工种{n}")
    for n in range(3):
        apply_case(worker, worker_account)
        apprentice_of(worker, 71 + n)
        enrol(worker, f"班级{n + 1}")
        award(worker, 2021 + n)
    assert Claim.objects.filter(worker=worker).count() == 20
    assert count() == few


def test_a_worker_account_without_a_registry_link_sees_the_empty_state(client, worker_user):
    client.force_login(worker_user)
    html = client.get("/me/").content.decode()
    assert "<h1>我的记录</h1>" in html
    assert client.get("/me/apply/subsidy/").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/me/",
        "/me/notices/",
        "/me/apply/subsidy/",
        "/me/apply/tuition/",
        "/me/apply/mediation/",
        "/me/bank-account/",
        "claim",
        "claim-submitted",
        "case",
        "case-submitted",
    ],
)
def test_every_page_of_mine_opens_uncached_and_passes_the_basic_accessibility_check(
    signed_in, worker, worker_account, path
):
    claim = tuition_claim(worker)
    case = apply_case(worker, worker_account)
    path = {
        "claim": f"/me/claims/{claim.pk}/",
        "claim-submitted": f"/me/claims/{claim.pk}/submitted/",
        "case": f"/me/cases/{case.pk}/",
        "case-submitted": f"/me/cases/{case.pk}/submitted/",
    }.get(path, path)
    response = signed_in.get(path)
    assert response.status_code == 200
    assert "no-cache" in response.headers["Cache-Control"] or "no-store" in response.headers["Cache-Control"]
    assert accessibility_problems(response.content) == []


@pytest.mark.parametrize("persona", ["beilun_clerk", "beilun_official"])
def test_staff_cannot_open_the_workers_pages(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/me/apply/subsidy/").status_code == 403


# --- Ownership --------------------------------------------------------------------------------------------


def test_another_workers_claim_case_and_receipt_are_404(
    client, settings, tmp_path, worker, worker_account, other_worker, other_account
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(worker_account)
    response = client.post("/me/apply/tuition/", tuition_form(SimpleUploadedFile("收据.png", PNG)))
    theirs = Claim.objects.get(worker=worker)
    case = apply_case(worker, worker_account)
    assert response.status_code == 302

    client.force_login(other_account)
    for path in (
        f"/me/claims/{theirs.pk}/",
        f"/me/claims/{theirs.pk}/submitted/",
        f"/me/claims/{theirs.pk}/receipt/",
        f"/me/cases/{case.pk}/",
        f"/me/cases/{case.pk}/submitted/",
        f"/files/{theirs.tuition.receipt.name}",
    ):
        assert client.get(path).status_code == 404, path

    client.force_login(worker_account)
    own = client.get(f"/me/claims/{theirs.pk}/receipt/")
    assert own.status_code == 200
    assert b"".join(own.streaming_content) == PNG


# --- Applying for a skill subsidy --------------------------------------------------------------------------


def test_the_subsidy_form_offers_only_qualifying_certificates_and_shows_the_amount(signed_in, worker):
    good = certify(worker, SkillLevel.INTERMEDIATE, occupation="电工")
    too_old = certify(worker, SkillLevel.JUNIOR, issued_on=days_ago(500), occupation="钳工")
    trainee = certify(worker, SkillLevel.APPRENTICE, occupation="车工")

    html = signed_in.get("/me/apply/subsidy/").content.decode()
    assert f'value="{good.pk}"' in html
    assert f'value="{too_old.pk}"' not in html and f'value="{trainee.pk}"' not in html
    assert "1,500.00" in html  # grouped, with its fen (portal.numbers)

    confirm = signed_in.post("/me/apply/subsidy/", {"step": "choose", "certificate": good.pk})
    assert confirm.status_code == 200
    assert "1,500.00" in confirm.content.decode()
    assert not Claim.objects.exists(), "nothing is submitted before the confirmation"
    assert accessibility_problems(confirm.content) == []

    done = signed_in.post("/me/apply/subsidy/", {"step": "confirm", "certificate": good.pk})
    claim = Claim.objects.get()
    assert done.status_code == 302 and done.url == f"/me/claims/{claim.pk}/submitted/"
    assert (
        claim.submitted_online and claim.status == ClaimStatus.SUBMITTED and claim.amount == Decimal("1500")
    )
    assert claim.reference in signed_in.get(done.url).content.decode()
    assert claim.reference in signed_in.get("/me/").content.decode()


def test_a_forged_certificate_choice_is_refused(signed_in, worker, other_worker):
    certify(worker)
    theirs = certify(other_worker)
    response = signed_in.post("/me/apply/subsidy/", {"step": "confirm", "certificate": theirs.pk})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Claim.objects.exists()


def test_a_subsidy_claimed_meanwhile_shows_the_services_reason(signed_in, worker, beilun_clerk):
    certificate = certify(worker)
    claim_submit(
        by=beilun_clerk, worker_id=worker.pk, kind=ClaimKind.SKILL_SUBSIDY, certificate_id=certificate.pk
    )
    response = signed_in.post("/me/apply/subsidy/", {"step": "confirm", "certificate": certificate.pk})
    assert response.status_code == 200
    assert Claim.objects.count() == 1


# --- Tuition with a receipt -------------------------------------------------------------------------------


def tuition_form(receipt, **overrides):
    return {
        "degree": "bachelor",
        "institution": "宁波大学",
        "major": "机械工程",
        "tuition_paid": "4000",
        "paid_on": days_ago(20).isoformat(),
        "relevant_to_job": "on",
        "receipt": receipt,
        **overrides,
    }


def test_a_tuition_claim_with_a_receipt_is_stored_privately_under_a_random_name(
    signed_in, settings, tmp_path, worker
):
    settings.MEDIA_ROOT = tmp_path
    response = signed_in.post(
        "/me/apply/tuition/", tuition_form(SimpleUploadedFile(f"{worker.id_number}.pdf", PDF))
    )
    claim = Claim.objects.get()
    assert response.status_code == 302 and response.url == f"/me/claims/{claim.pk}/submitted/"
    assert claim.amount == Decimal("2800.00") and claim.submitted_online
    name = claim.tuition.receipt.name
    assert name.startswith("receipts/") and name.endswith(".pdf") and worker.id_number not in name


def test_a_receipt_over_the_size_limit_is_refused(signed_in, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    big = SimpleUploadedFile("receipt.png", PNG + b"\x00" * (5 * 1024 * 1024))
    response = signed_in.post("/me/apply/tuition/", tuition_form(big))
    assert response.status_code == 200
    assert "MB" in response.content.decode()
    assert not Claim.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [("receipt.pdf", b"just some text"), ("receipt.png", b"GIF89a...."), ("receipt.jpg", b"<html></html>")],
)
def test_a_receipt_is_judged_by_its_content_not_its_name(signed_in, settings, tmp_path, name, content):
    settings.MEDIA_ROOT = tmp_path
    response = signed_in.post("/me/apply/tuition/", tuition_form(SimpleUploadedFile(name, content)))
    assert response.status_code == 200
    assert 'id="id_receipt_error"' in response.content.decode()
    assert not Claim.objects.exists()


def test_tuition_for_an_unrelated_major_is_refused_on_that_field(signed_in, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    data = tuition_form(SimpleUploadedFile("r.png", PNG))
    del data["relevant_to_job"]
    html = signed_in.post("/me/apply/tuition/", data).content.decode()
    assert 'id="id_relevant_to_job_error"' in html
    assert not Claim.objects.exists()


def test_the_same_tuition_payment_twice_is_refused_naming_the_first_claim(signed_in, worker):
    first = signed_in.post("/me/apply/tuition/", tuition_form(SimpleUploadedFile("r1.pdf", PDF + b"1")))
    assert first.status_code == 302
    claim = Claim.objects.get()
    # Another scan of the same payment: refused on the amount, and the page names the claim already made.
    again = signed_in.post("/me/apply/tuition/", tuition_form(SimpleUploadedFile("r2.pdf", PDF + b"2")))
    html = again.content.decode()
    assert again.status_code == 200 and 'id="id_tuition_paid_error"' in html and claim.reference in html
    # The same receipt for another payment: refused on the receipt.
    other = signed_in.post(
        "/me/apply/tuition/", tuition_form(SimpleUploadedFile("r1.pdf", PDF + b"1"), tuition_paid="3000")
    )
    assert 'id="id_receipt_error"' in other.content.decode()
    assert Claim.objects.count() == 1


# --- Mediation ---------------------------------------------------------------------------------------------


def test_a_mediation_application_with_a_missing_field_says_so_in_chinese(signed_in, worker):
    from django.utils import translation

    with translation.override("zh-hans"):
        required = translation.gettext("This field is required.")
    html = signed_in.post(
        "/me/apply/mediation/",
        {"enterprise": worker.enterprise_id, "dispute_type": DisputeType.PAY, "claim": ""},
    ).content.decode()
    assert required in html
    assert 'id="id_claim_error"' in html
    assert not DisputeCase.objects.exists()


def test_a_mediation_application_goes_through_the_service_and_shows_the_case_number(signed_in, worker):
    response = signed_in.post(
        "/me/apply/mediation/",
        {
            "enterprise": worker.enterprise_id,
            "dispute_type": DisputeType.PAY,
            "claim": "拖欠三、四月工资共8000元",
            "claimed_amount": "8000",
        },
    )
    case = DisputeCase.objects.get()
    assert response.status_code == 302 and response.url == f"/me/cases/{case.pk}/submitted/"
    assert case.source == CaseSource.ONLINE and case.status == CaseStatus.APPLIED
    assert list(case.applicants.all()) == [worker]
    page = signed_in.get(response.url).content.decode()
    assert case.number in page


def test_a_mediation_application_against_a_stranger_enterprise_is_refused(signed_in, haishu_firm):
    response = signed_in.post(
        "/me/apply/mediation/", {"enterprise": haishu_firm.pk, "dispute_type": DisputeType.PAY, "claim": "x"}
    )
    assert response.status_code == 200
    assert not DisputeCase.objects.exists()


def test_a_case_shows_its_timeline_and_days_left(
    signed_in, worker, worker_account, beilun_clerk, street_committee
):
    case = apply_case(worker, worker_account)
    mediation_services.case_accept(case_id=case.pk, by=beilun_clerk, committee_id=street_committee.pk)
    html = signed_in.get(f"/me/cases/{case.pk}/").content.decode()
    assert case.due_on.strftime("%Y-%m-%d") in html
    assert "15" in html
    assert html.count('class="step step--done"') >= 2


def test_receipt_types_are_recognised_by_their_first_bytes():
    from selfservice.uploads import sniff

    assert sniff(PNG) == ".png" and sniff(PDF) == ".pdf" and sniff(b"\xff\xd8\xff\xe0") == ".jpg"
    assert sniff(b"GIF89a") is None
