"""What a worker stumbles over in daily use (issue 17, item 10): a pending bank account on the application
pages, the tuition form's conditions said up front, finished courses, applying again after a rejection."""

import datetime
import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from selfservice import selectors
from tests.factories import register_worker
from tests.selfservice import test_selfservice as account_tests
from tests.selfservice import test_selfservice_pages as page_tests
from tests.selfservice.test_selfservice_pages import (
    PDF,
    certify,
    days_ago,
    enrol,
    tuition_claim,
    tuition_form,
)
from training.choices import ClaimKind, ClaimStatus, EnrollmentStatus
from training.models import Claim, Enrollment, TrainingProgram
from training.services import claim_reject, claim_submit
from workers.choices import SkillLevel
from workers.models import SkillCertificate

pytestmark = pytest.mark.django_db

# Fixtures shared with the other self-service tests.
firm = account_tests.firm
haishu_firm = account_tests.haishu_firm
worker = account_tests.worker
other_worker = account_tests.other_worker
worker_account = account_tests.worker_account
other_account = account_tests.other_account
reviewer = page_tests.reviewer

NEW_ACCOUNT = "6217000011112222333"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # receipts of the tuition claims made here


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def newcomer(firm):
    """A worker with no bank account on file yet, signed up for the self-service."""
    return register_worker(
        firm, sequence=555, name="王芳", phone="13800000555", hired_on=datetime.date(2020, 1, 1)
    )


def ask_for_account(client, account=NEW_ACCOUNT):
    response = client.post(
        "/me/bank-account/",
        {
            "account": account,
            "account_again": account,
            "bank_name": "中国工商银行",
            "bank_branch": "北仑支行",
        },
    )
    assert response.status_code == 302, response.content.decode()


def masked(account: str) -> str:
    from portal.masking import mask_bank_account

    return mask_bank_account(account)


def payout_note(html: str) -> str:
    found = re.search(r'<p class="[^"]*" id="payout-account">(.*?)</p>', html, re.S)
    assert found, "the page says nothing about the account the money goes to"
    return " ".join(found.group(1).split())


# --- A pending bank-account change ------------------------------------------------------------------------


def test_a_pending_first_account_shows_as_pending_on_the_application_pages_not_as_no_account(
    english, newcomer
):
    english.force_login(account_tests.account_for(newcomer))
    for path in ("/me/apply/subsidy/", "/me/apply/tuition/"):
        assert "No bank account for payouts is on file yet." in english.get(path).content.decode(), path

    ask_for_account(english)
    for path in ("/me/apply/subsidy/", "/me/apply/tuition/"):
        html = english.get(path).content.decode()
        note = payout_note(html)
        assert masked(NEW_ACCOUNT) in note and "waiting for the union office to confirm" in note, path
        assert "No bank account for payouts is on file yet." not in html, path


def test_a_pending_change_of_account_is_shown_beside_the_account_payouts_still_go_to(
    english, worker, worker_account
):
    english.force_login(worker_account)
    ask_for_account(english)
    note = payout_note(english.get("/me/apply/subsidy/").content.decode())
    assert masked(worker.bank_account) in note and masked(NEW_ACCOUNT) in note

    good = certify(worker, SkillLevel.INTERMEDIATE, occupation="电工")
    confirm = english.post("/me/apply/subsidy/", {"step": "choose", "certificate": good.pk}).content.decode()
    paid_into = confirm[confirm.index("Paid into") :]
    assert masked(worker.bank_account) in paid_into
    assert f"Change to {masked(NEW_ACCOUNT)} waiting for the union to confirm" in " ".join(paid_into.split())


# --- The tuition form says what it needs before it is filled in -----------------------------------------


def form_at(html: str) -> int:
    return html.index('<form method="post" action="/me/apply/tuition/')


def test_the_tuition_form_says_up_front_that_an_account_is_needed(english, newcomer, worker, worker_account):
    english.force_login(account_tests.account_for(newcomer))
    html = english.get("/me/apply/tuition/").content.decode()
    needed = html.index("an account confirmed by the union office must be on file before you can submit")
    assert needed < form_at(html)
    # Without one, the way to add it comes before the form too.
    assert html.index("No bank account for payouts is on file yet.") < form_at(html)
    assert html.index('href="/me/bank-account/"') < form_at(html)

    english.force_login(worker_account)
    html = english.get("/me/apply/tuition/").content.decode()
    assert html.index(masked(worker.bank_account)) < form_at(html)
    assert "No bank account for payouts is on file yet." not in html


# --- Courses that are over ---------------------------------------------------------------------------------


def test_an_enrolment_shows_finished_once_its_course_has_ended(english, worker, worker_account):
    ended = enrol(worker, "数控技能提升班")  # the course ended five days ago; no completion list yet
    running = TrainingProgram.objects.create(
        name="焊接技能提升班", program_type="skill_upgrade", provider_school="宁波技师学院",
        district=worker.district, starts_on=days_ago(10), ends_on=days_ago(-30),
    )  # fmt: skip
    Enrollment.objects.create(
        worker=worker, program=running, district=worker.district, enrolled_on=days_ago(10)
    )
    assert ended.status == EnrollmentStatus.ENROLLED

    english.force_login(worker_account)
    html = english.get("/me/").content.decode()
    records = {
        name: " ".join(meta.split())
        for name, meta in re.findall(
            r'<p class="record__title">([^<]*班)</p>\s*<p class="record__meta">(.*?)</p>', html, re.S
        )
    }
    assert records["数控技能提升班"].startswith("Finished")
    assert f"course ended {ended.program.ends_on:%Y-%m-%d}" in records["数控技能提升班"]
    assert (
        records["焊接技能提升班"].startswith("Enrolled") and "course ended" not in records["焊接技能提升班"]
    )

    # A completed enrolment keeps saying so, with its date.
    Enrollment.objects.filter(pk=ended.pk).update(status=EnrollmentStatus.COMPLETED, completed_on=days_ago(2))
    html = english.get("/me/").content.decode()
    assert f"Completed · enrolled {days_ago(60):%Y-%m-%d}" in " ".join(html.split())
    assert "Finished" not in html


# --- Applying again after a rejection ----------------------------------------------------------------------


def rejected_subsidy(worker, clerk, reviewer, certificate):
    claim = claim_submit(
        by=clerk, worker_id=worker.pk, kind=ClaimKind.SKILL_SUBSIDY, certificate_id=certificate.pk
    )
    return claim_reject(claim_id=claim.pk, by=reviewer, reason="证书编号与鉴定机构记录不符")


def test_a_rejected_subsidy_is_applied_for_again_from_its_page_with_the_certificate_chosen(
    english, worker, worker_account, beilun_clerk, reviewer
):
    certificate = certify(worker, SkillLevel.INTERMEDIATE, occupation="电工")
    certify(worker, SkillLevel.JUNIOR, occupation="钳工")  # another qualifying certificate, not chosen
    rejected = rejected_subsidy(worker, beilun_clerk, reviewer, certificate)
    english.force_login(worker_account)

    page = english.get(f"/me/claims/{rejected.pk}/").content.decode()
    link = re.search(r'<a class="button button--primary" href="([^"]+)">Apply again</a>', page)
    assert link and link.group(1) == f"/me/apply/subsidy/?certificate={certificate.pk}"

    form = english.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert re.search(rf'value="{certificate.pk}"[^>]*checked', form)
    assert len(re.findall(r"\bchecked\b", form)) == 1

    english.post("/me/apply/subsidy/", {"step": "confirm", "certificate": certificate.pk})
    again = Claim.objects.exclude(pk=rejected.pk).get()
    assert again.certificate_id == certificate.pk and again.status == ClaimStatus.SUBMITTED

    # The rules still hold: with a live claim for the certificate, the rejected one offers no second go.
    page = english.get(f"/me/claims/{rejected.pk}/").content.decode()
    assert "Apply again</a>" not in page
    assert "already been claimed" in page[page.index('id="reapply-refused"') :]
    refused = english.post("/me/apply/subsidy/", {"step": "confirm", "certificate": certificate.pk})
    assert refused.status_code == 200 and Claim.objects.count() == 2


def test_a_certificate_that_no_longer_qualifies_is_not_chosen_and_the_page_says_why(
    english, worker, worker_account, beilun_clerk, reviewer
):
    certificate = certify(worker, SkillLevel.JUNIOR, issued_on=days_ago(300), occupation="钳工")
    rejected = rejected_subsidy(worker, beilun_clerk, reviewer, certificate)
    SkillCertificate.objects.filter(pk=certificate.pk).update(issued_on=days_ago(500))  # too old now
    english.force_login(worker_account)
    page = english.get(f"/me/claims/{rejected.pk}/").content.decode()
    assert "Apply again</a>" not in page
    reason = next(
        o.reason for o in selectors.subsidy_options(worker)[1] if o.certificate.pk == certificate.pk
    )
    assert reason in page[page.index('id="reapply-refused"') :]
    form = english.get(f"/me/apply/subsidy/?certificate={certificate.pk}").content.decode()
    assert "checked" not in form


def test_a_rejected_tuition_claim_is_applied_for_again_with_its_details_filled_in(
    english, worker, worker_account, reviewer, other_account
):
    english.force_login(worker_account)
    receipt = PDF + b"receipt-1"
    english.post("/me/apply/tuition/", tuition_form(SimpleUploadedFile("收据.pdf", receipt)))
    first = Claim.objects.get()
    claim_reject(claim_id=first.pk, by=reviewer, reason="收据不清晰")

    page = english.get(f"/me/claims/{first.pk}/").content.decode()
    link = re.search(r'<a class="button button--primary" href="([^"]+)">Apply again</a>', page)
    assert link and link.group(1) == f"/me/apply/tuition/?again={first.pk}"
    form = english.get(link.group(1)).content.decode()
    assert 'value="宁波大学"' in form and 'value="机械工程"' in form and 'value="4000.00"' in form
    assert f'value="{first.tuition.paid_on:%Y-%m-%d}"' in form
    assert re.search(r'<option value="bachelor"[^>]*selected', form)
    assert first.reference in form  # "applying again after …"

    # The same payment and the same receipt (the rejected claim no longer holds them) make a new claim.
    data = tuition_form(SimpleUploadedFile("收据.pdf", receipt))
    response = english.post(link.group(1), data)
    assert response.status_code == 302, response.content.decode()
    assert Claim.objects.filter(kind=ClaimKind.TUITION, status=ClaimStatus.SUBMITTED).count() == 1

    # Once claimed again, the old page says why not a third time; another worker cannot borrow it.
    page = english.get(f"/me/claims/{first.pk}/").content.decode()
    assert "Apply again</a>" not in page and "already claimed" in page
    english.force_login(other_account)
    assert english.get(f"/me/apply/tuition/?again={first.pk}").status_code == 404


def test_only_claims_closed_without_payment_offer_to_apply_again(signed_in_worker_and_claim):
    client, claim = signed_in_worker_and_claim
    assert selectors.claim_reapply(claim) is None
    assert "Apply again" not in client.get(f"/me/claims/{claim.pk}/").content.decode()
    assert client.get(f"/me/apply/tuition/?again={claim.pk}").status_code == 404  # not closed


@pytest.fixture
def signed_in_worker_and_claim(english, worker, worker_account):
    english.force_login(worker_account)
    return english, tuition_claim(worker)


def test_kinds_without_an_online_form_send_the_worker_to_the_union_office(worker):
    for kind in (ClaimKind.CRAFTSMAN_AWARD, ClaimKind.APPRENTICESHIP_STIPEND):
        claim = Claim(kind=kind, worker=worker, status=ClaimStatus.REJECTED)
        with translation.override("en"):
            reapply = selectors.claim_reapply(claim)
        assert reapply.url == "" and "union office" in reapply.reason
