"""The money admin: scoped, masked, bulk actions through the services, four eyes, batches and the bank file."""

import datetime
import io
import re

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time
from openpyxl import load_workbook

from portal.models import AuditEvent
from tests.conftest import PASSWORD
from tests.factories import EnterpriseFactory, district, register_worker
from training.choices import BatchStatus, ClaimKind, ClaimStatus, PaymentStatus
from training.models import Claim, Payment, PaymentBatch, SubsidyRule
from training.services import (
    batch_create,
    batch_disbursement_file,
    claim_approve,
    claim_review,
    claim_submit,
    claims_approve_bulk,
    claims_review_bulk,
)
from workers.choices import SkillLevel
from workers.models import CraftsmanTitle
from workers.services import award_grant, certificate_issue

D = datetime.date
ACCOUNT = "6222021234567890123"  # the Beilun worker's, from tests/training/conftest.py
HAISHU_ACCOUNT = "6222029876543210987"
CLAIMS = "/admin/training/claim/"
BATCHES = "/admin/training/paymentbatch/"


@pytest.fixture(autouse=True)
def _june_2025():
    with freeze_time("2025-06-01 10:00:00+08:00"):
        yield


@pytest.fixture(autouse=True)
def _no_yearly_limit(db):
    # Several subsidies for one worker in one year: the limit has its own tests (test_rules.py).
    SubsidyRule.objects.update(yearly_limit=None)


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    # Messages are compared in English; the pages are Chinese unless the switcher picks English.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def texts(response, level: str | None = None) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request) if level is None or m.level_tag == level]


@pytest.fixture
def new_claims(worker, certify):
    occupations = iter(range(1000))

    def make(by, n=1, level=SkillLevel.JUNIOR):
        return [
            claim_submit(
                by=by,
                worker_id=worker.pk,
                kind=ClaimKind.SKILL_SUBSIDY,
                certificate_id=certify(level, D(2025, 3, 1), occupation=f"工种{next(occupations)}").pk,
            )
            for _ in range(n)
        ]

    return make


@pytest.fixture
def haishu_claim(haishu_clerk):
    haishu_worker = register_worker(
        EnterpriseFactory(district=district("330203")),
        sequence=31,
        name="海曙职工",
        bank_account=HAISHU_ACCOUNT,
    )
    certificate = certificate_issue(
        by=None, worker_id=haishu_worker.pk, level=SkillLevel.JUNIOR, occupation="焊工", number="H-1",
        issued_on=D(2025, 3, 1),
    )  # fmt: skip
    return claim_submit(
        by=haishu_clerk,
        worker_id=haishu_worker.pk,
        kind=ClaimKind.SKILL_SUBSIDY,
        certificate_id=certificate.pk,
    )


def act(client, action: str, claims, url: str = CLAIMS, **extra):
    data = {"action": action, "_selected_action": [c.pk for c in claims], **extra}
    response = client.post(url, data)
    if response.status_code == 302:
        client.get(response.url)  # the list shows (and so uses up) the messages, as in a browser
    return response


def statuses(claims) -> list[str]:
    return [Claim.objects.get(pk=c.pk).status for c in claims]


# --- Scope and masking ------------------------------------------------------------------------------------


def test_a_beilun_clerks_claim_list_has_no_haishu_claim(client, beilun_clerk, new_claims, haishu_claim):
    (mine,) = new_claims(beilun_clerk)
    page = login(client, beilun_clerk).get(CLAIMS)
    html = page.content.decode()
    assert page.status_code == 200
    assert mine.reference in html and haishu_claim.reference not in html
    assert ACCOUNT not in html and HAISHU_ACCOUNT not in html
    # A guessed id answers "does not exist" (a redirect with a message), never the record.
    guessed = client.get(f"{CLAIMS}{haishu_claim.pk}/change/")
    assert guessed.status_code == 302
    assert any("doesn’t exist" in m for m in texts(guessed))
    searched = client.get(CLAIMS, {"q": haishu_claim.reference}).content.decode()
    assert f"{CLAIMS}{haishu_claim.pk}/change/" not in searched


def test_the_claim_page_is_read_only_and_never_shows_the_full_account(client, beilun_clerk, new_claims):
    (claim,) = new_claims(beilun_clerk)
    login(client, beilun_clerk)
    url = f"{CLAIMS}{claim.pk}/change/"
    html = client.get(url).content.decode()
    assert ACCOUNT not in html
    assert 'name="_save"' not in html  # view-only: no save button
    assert client.post(url, {"status": ClaimStatus.APPROVED}).status_code == 403
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.SUBMITTED


@pytest.mark.parametrize("how", ["reference", "reference_lower_case", "id_number"])
def test_search_finds_a_claim_by_reference_or_the_workers_id_number(
    client, city_clerk, worker, new_claims, beilun_clerk, how
):
    target, other = new_claims(beilun_clerk, 2)
    term = {
        "reference": target.reference,
        "reference_lower_case": f" {target.reference.lower()} ",
        "id_number": worker.id_number[:6] + " " + worker.id_number[6:].lower(),
    }[how]
    html = login(client, city_clerk).get(CLAIMS, {"q": term}).content.decode()
    assert f"{CLAIMS}{target.pk}/change/" in html
    if how != "id_number":
        assert f"{CLAIMS}{other.pk}/change/" not in html


def test_a_reference_with_the_wrong_kind_finds_nothing(client, city_clerk, new_claims, beilun_clerk):
    (claim,) = new_claims(beilun_clerk)
    wrong = "XF" + claim.reference[2:]
    assert (
        f"{CLAIMS}{claim.pk}/change/"
        not in login(client, city_clerk).get(CLAIMS, {"q": wrong}).content.decode()
    )


def test_the_claim_list_query_count_does_not_grow_with_rows(client, city_clerk, beilun_clerk, new_claims):
    login(client, city_clerk)
    new_claims(beilun_clerk, 2)
    client.get(CLAIMS)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as few:
        assert client.get(CLAIMS).status_code == 200
    new_claims(beilun_clerk, 25)
    with CaptureQueriesContext(connection) as many:
        assert client.get(CLAIMS).status_code == 200
    assert len(many) == len(few)


def test_officials_do_not_enter_the_admin_and_change_nothing(
    client, beilun_official, beilun_clerk, new_claims
):
    (claim,) = new_claims(beilun_clerk)
    login(client, beilun_official)
    assert client.get(CLAIMS).url.startswith("/admin/login/")
    assert (
        client.post(CLAIMS, {"action": "review_selected", "_selected_action": [claim.pk]}).status_code == 302
    )
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.SUBMITTED


def test_district_staff_read_the_rules_but_only_city_staff_edit_them(client, beilun_clerk, city_clerk):
    rule = SubsidyRule.objects.filter(kind=ClaimKind.SKILL_SUBSIDY).first()
    url = f"/admin/training/subsidyrule/{rule.pk}/change/"
    page = login(client, beilun_clerk).get(url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(url, {"name": "改"}).status_code == 403
    client.logout()
    assert 'name="_save"' in login(client, city_clerk).get(url).content.decode()


# --- Bulk review and approval ------------------------------------------------------------------------------


def test_bulk_review_reports_counts_and_reasons_and_changes_exactly_the_qualifying_claims(
    client, beilun_clerk, beilun_reviewer, new_claims
):
    others = new_claims(beilun_clerk, 3)
    own = new_claims(beilun_reviewer, 1)
    claim_review(claim_id=others[2].pk, by=beilun_reviewer)
    response = act(login(client, beilun_reviewer), "review_selected", others + own)
    assert response.status_code == 302
    assert texts(response, "success") == ["2 claims reviewed."]
    warnings = texts(response, "warning")
    assert f"not waiting for review: {others[2].reference}" in warnings
    assert f"you submitted it: {own[0].reference}" in warnings
    assert statuses(others + own) == [ClaimStatus.REVIEWED] * 3 + [ClaimStatus.SUBMITTED]
    assert AuditEvent.objects.filter(action="claim.review", data__bulk=True).count() == 2


def test_four_eyes_hold_in_the_admin_too(client, beilun_clerk, beilun_reviewer, beilun_approver, new_claims):
    claims = new_claims(beilun_clerk, 2)
    claims_review_bulk(by=beilun_reviewer, claim_ids=[c.pk for c in claims])
    refused = act(login(client, beilun_reviewer), "approve_selected", claims)
    assert texts(refused, "info") == ["0 claims approved."]
    (warning,) = texts(refused, "warning")
    assert warning.startswith("you submitted or reviewed it: ")
    assert sorted(warning.split(": ")[1].split(", ")) == sorted(c.reference for c in claims)
    assert statuses(claims) == [ClaimStatus.REVIEWED] * 2
    client.logout()
    approved = act(login(client, beilun_approver), "approve_selected", claims)
    assert texts(approved, "success") == ["2 claims approved."]
    assert statuses(claims) == [ClaimStatus.APPROVED] * 2


def test_bulk_approve_leaves_large_amounts_to_a_city_approver(
    client, worker, beilun_reviewer, beilun_approver, city_approver
):
    award = award_grant(
        by=None, worker_id=worker.pk, title_id=CraftsmanTitle.objects.get(name="浙江工匠").pk, year=2024,
        nominated_by="employer", locally_trained=True,
    )  # fmt: skip
    big = claim_submit(by=None, worker_id=worker.pk, kind=ClaimKind.CRAFTSMAN_AWARD, award_id=award.pk)
    claim_review(claim_id=big.pk, by=beilun_reviewer)
    response = act(login(client, beilun_approver), "approve_selected", [big])
    (warning,) = texts(response, "warning")
    assert "needs a city approver" in warning and big.reference in warning
    client.logout()
    act(login(client, city_approver), "approve_selected", [big])
    assert statuses([big]) == [ClaimStatus.APPROVED]


def test_a_long_list_of_refusals_is_capped(client, beilun_clerk, beilun_reviewer, new_claims):
    claims = new_claims(beilun_clerk, 23)
    response = act(login(client, beilun_clerk), "review_selected", claims)
    (warning,) = texts(response, "warning")
    assert warning.startswith("you submitted it: ")
    assert warning.count(", ") == 19 and warning.endswith("and 3 more")


# --- Reject, cancel and return with a reason -----------------------------------------------------------------


def test_reject_asks_for_a_reason_then_rejects(client, beilun_clerk, beilun_reviewer, new_claims):
    claims = new_claims(beilun_clerk, 2)
    login(client, beilun_reviewer)
    page = act(client, "reject_selected", claims)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="reason"' in html and claims[0].reference in html
    assert statuses(claims) == [ClaimStatus.SUBMITTED] * 2
    blank = act(client, "reject_selected", claims, post="yes", reason="  ")
    assert blank.status_code == 200 and "reason" in blank.context["form"].errors
    done = act(client, "reject_selected", claims, post="yes", reason="证书与工种不符")
    assert done.status_code == 302 and texts(done, "success") == ["2 claims rejected."]
    assert statuses(claims) == [ClaimStatus.REJECTED] * 2
    assert set(
        Claim.objects.filter(pk__in=[c.pk for c in claims]).values_list("closed_reason", flat=True)
    ) == {"证书与工种不符"}
    assert AuditEvent.objects.filter(action="claim.reject", actor=beilun_reviewer).count() == 2


def test_cancel_refuses_what_is_not_approved_and_says_why(
    client, beilun_clerk, beilun_reviewer, beilun_approver, new_claims
):
    approved, submitted = new_claims(beilun_clerk, 2)
    claim_review(claim_id=approved.pk, by=beilun_reviewer)
    claim_approve(claim_id=approved.pk, by=beilun_approver)
    response = act(
        login(client, beilun_approver),
        "cancel_selected",
        [approved, submitted],
        post="yes",
        reason="职工撤回",
    )
    assert texts(response, "success") == ["1 claim cancelled."]
    (warning,) = texts(response, "warning")
    assert submitted.reference in warning and "cannot be cancelled" in warning
    assert statuses([approved, submitted]) == [ClaimStatus.CANCELLED, ClaimStatus.SUBMITTED]


# --- Batches, the bank file and payment ----------------------------------------------------------------------


@pytest.fixture
def approved_claims(new_claims, beilun_clerk, beilun_reviewer, beilun_approver):
    claims = new_claims(beilun_clerk, 2)
    claims_review_bulk(by=beilun_reviewer, claim_ids=[c.pk for c in claims])
    claims_approve_bulk(by=beilun_approver, claim_ids=[c.pk for c in claims])
    return claims


def test_approved_claims_go_into_a_new_batch_from_the_claim_list(
    client, beilun_clerk, approved_claims, new_claims
):
    (waiting,) = new_claims(beilun_clerk, 1)
    response = act(login(client, beilun_clerk), "put_in_new_batch", [*approved_claims, waiting])
    batch = PaymentBatch.objects.get()
    assert batch.district == district("330206")
    assert sorted(batch.payments.values_list("claim_id", flat=True)) == sorted(c.pk for c in approved_claims)
    (success,) = texts(response, "success")
    assert batch.reference in success and "2 claims" in success
    assert texts(response, "warning") == [f"not approved, or outside your scope: {waiting.reference}"]
    again = act(client, "put_in_new_batch", approved_claims)
    assert texts(again, "error") and PaymentBatch.objects.count() == 1


def test_a_batch_is_created_on_its_add_page_through_the_service(client, city_clerk, approved_claims):
    response = login(client, city_clerk).post(f"{BATCHES}add/", {"district": "", "note": "六月"})
    assert response.status_code == 302, response.content.decode()[:3000]
    batch = PaymentBatch.objects.get()
    assert batch.district is None and batch.note == "六月" and batch.payments.count() == 2
    assert AuditEvent.objects.filter(action="batch.create", actor=city_clerk).exists()
    empty = client.post(f"{BATCHES}add/", {"district": "", "note": ""})
    assert empty.status_code == 200 and "No approved claims" in empty.content.decode()


def test_the_disbursement_file_is_for_payment_staff_only_and_logged(
    client, approved_claims, city_clerk, beilun_clerk, payment_clerk
):
    batch = batch_create(by=city_clerk)
    url = f"{BATCHES}{batch.pk}/disbursement/"
    for user in (city_clerk, beilun_clerk):
        login(client, user)
        assert client.get(url).status_code == 403
        assert client.post(url).status_code == 403
        assert f"{batch.pk}/disbursement/" not in client.get(f"{BATCHES}{batch.pk}/change/").content.decode()
        client.logout()
    assert not AuditEvent.objects.filter(action="batch.disbursement_download").exists()

    login(client, payment_clerk)
    assert url in client.get(f"{BATCHES}{batch.pk}/change/").content.decode()
    confirm = client.get(url)
    assert confirm.status_code == 200 and ACCOUNT not in confirm.content.decode()
    assert not AuditEvent.objects.filter(action="batch.disbursement_download").exists()  # GET only asks
    download = client.post(url)
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "no-store" in download["Cache-Control"]
    rows = list(load_workbook(io.BytesIO(download.content))["代发明细"].iter_rows(values_only=True))
    assert {row[3] for row in rows[1:-1]} == {ACCOUNT} and rows[-1][0] == "合计"
    event = AuditEvent.objects.get(action="batch.disbursement_download")
    assert event.actor == payment_clerk and event.object_id == str(batch.pk)
    assert PaymentBatch.objects.get(pk=batch.pk).status == BatchStatus.SENT


def test_a_batch_page_lists_its_first_payments_and_links_to_all(
    client, city_clerk, approved_claims, monkeypatch
):
    import training.admin.batches

    monkeypatch.setattr(training.admin.batches, "PAYMENTS_SHOWN", 1)
    batch = batch_create(by=city_clerk)
    html = login(client, city_clerk).get(f"{BATCHES}{batch.pk}/change/").content.decode()
    shown = [c for c in approved_claims if f"{CLAIMS}{c.pk}/change/" in html]
    assert len(shown) == 1
    assert f"/admin/training/payment/?batch={batch.pk}" in html
    payments = client.get("/admin/training/payment/", {"batch": batch.pk}).content.decode()
    assert all(c.reference in payments for c in approved_claims)


def test_a_clerk_cannot_mark_paid_a_batch_that_never_went_to_the_bank(client, city_clerk, approved_claims):
    batch = batch_create(by=city_clerk)
    login(client, city_clerk)
    response = act(client, "mark_paid", [batch], url=BATCHES, post="yes", bank_reference="ANY")
    assert texts(response, "info") == ["0 payments marked paid."]
    assert "payment staff" in " ".join(texts(response, "warning"))
    assert statuses(approved_claims) == [ClaimStatus.APPROVED] * 2


def test_mark_paid_twice_pays_once(client, city_clerk, payment_clerk, reconciler, approved_claims):
    batch = batch_create(by=city_clerk)
    batch_disbursement_file(by=payment_clerk, batch_id=batch.pk)
    login(client, reconciler)
    ask = act(client, "mark_paid", [batch], url=BATCHES)
    assert ask.status_code == 200 and 'name="bank_reference"' in ask.content.decode()
    first = act(client, "mark_paid", [batch], url=BATCHES, post="yes", bank_reference="ICBC-0601")
    assert texts(first, "success") == ["2 payments marked paid."]
    second = act(client, "mark_paid", [batch], url=BATCHES, post="yes", bank_reference="ICBC-0601")
    assert texts(second, "info") == ["0 payments marked paid."]
    assert texts(second, "warning") == [f"already paid: {', '.join(c.reference for c in approved_claims)}"]
    assert Payment.objects.filter(status=PaymentStatus.PAID, bank_reference="ICBC-0601").count() == 2
    assert statuses(approved_claims) == [ClaimStatus.PAID] * 2
    assert AuditEvent.objects.filter(action="claim.pay").count() == 2


def test_a_payment_returned_by_the_bank_is_recorded_with_its_reason(
    client, city_clerk, payment_clerk, reconciler, approved_claims
):
    batch = batch_create(by=city_clerk)
    batch_disbursement_file(by=payment_clerk, batch_id=batch.pk)
    login(client, reconciler)
    act(client, "mark_paid", [batch], url=BATCHES, post="yes", bank_reference="B-1")
    returned, kept = approved_claims
    payment = Payment.objects.get(claim=returned)
    response = act(
        client,
        "mark_returned_by_hand",
        [payment],
        url="/admin/training/payment/",
        post="yes",
        reason="账户已销户",
    )
    assert texts(response, "success") == ["1 payment recorded as returned."]
    assert statuses([returned, kept]) == [ClaimStatus.RETURNED, ClaimStatus.PAID]
    assert Payment.objects.get(claim=returned).return_reason == "账户已销户"


def test_the_full_account_is_in_no_admin_page(
    client, city_clerk, payment_clerk, approved_claims, beilun_clerk
):
    batch = batch_create(by=city_clerk)
    claim = approved_claims[0]
    login(client, payment_clerk)
    pages = [
        CLAIMS,
        f"{CLAIMS}?q={claim.reference}",
        f"{CLAIMS}{claim.pk}/change/",
        f"{CLAIMS}{claim.pk}/history/",
        f"{CLAIMS}add/",
        BATCHES,
        f"{BATCHES}{batch.pk}/change/",
        f"{BATCHES}{batch.pk}/disbursement/",
        "/admin/training/payment/",
        f"/admin/training/payment/?batch={batch.pk}",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert ACCOUNT not in body and ACCOUNT[4:-4] not in body, url
    for action in ("reject_selected", "cancel_selected", "reconfirm_account"):
        assert ACCOUNT not in act(client, action, approved_claims).content.decode()
    batch_disbursement_file(by=payment_clerk, batch_id=batch.pk)
    # The claim page lists each attempt with the account it was sent to, masked.
    html = client.get(f"{CLAIMS}{claim.pk}/change/").content.decode()
    assert Payment.objects.get(claim=claim).payee_account_masked in html and ACCOUNT not in html
    assert ACCOUNT not in client.get(f"{BATCHES}{batch.pk}/change/").content.decode()


# --- Adding a claim goes through claim_submit --------------------------------------------------------------


def _add_form(**fields) -> dict:
    data = {
        "worker": "", "kind": "", "note": "", "certificate": "", "program_type": "", "apprenticeship": "",
        "award": "", "degree": "", "institution": "", "major": "", "tuition_paid": "", "paid_on": "",
        "tuition-TOTAL_FORMS": 0, "tuition-INITIAL_FORMS": 0,
        "payments-TOTAL_FORMS": 0, "payments-INITIAL_FORMS": 0,
    }  # fmt: skip
    return data | fields


def test_adding_a_skill_subsidy_goes_through_claim_submit(client, beilun_clerk, worker, certify):
    certificate = certify(SkillLevel.INTERMEDIATE, D(2025, 3, 1))
    response = login(client, beilun_clerk).post(
        f"{CLAIMS}add/",
        _add_form(
            worker=worker.pk, kind=ClaimKind.SKILL_SUBSIDY, certificate=certificate.pk, note="窗口受理"
        ),
    )
    assert response.status_code == 302, re.findall(r"errorlist[^>]*><li>([^<]*)", response.content.decode())
    claim = Claim.objects.get()
    assert (claim.amount, claim.submitted_by, claim.status) == (1500, beilun_clerk, ClaimStatus.SUBMITTED)
    assert AuditEvent.objects.filter(action="claim.submit", actor=beilun_clerk).exists()


def test_a_refused_claim_shows_the_rules_message_on_the_right_field(client, beilun_clerk, worker, certify):
    late = certify(SkillLevel.JUNIOR, D(2023, 1, 1))  # more than 12 months before June 2025
    login(client, beilun_clerk)
    response = client.post(
        f"{CLAIMS}add/", _add_form(worker=worker.pk, kind=ClaimKind.SKILL_SUBSIDY, certificate=late.pk)
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "12 months" in " ".join(errors["certificate"])
    tuition = client.post(
        f"{CLAIMS}add/",
        _add_form(worker=worker.pk, kind=ClaimKind.TUITION, degree="bachelor", institution="宁波大学",
                  major="机械工程", tuition_paid="8000", paid_on="2025-02-01"),
    )  # fmt: skip
    assert "relevant_to_job" in tuition.context["adminform"].form.errors
    assert not Claim.objects.exists()


def test_a_clerk_cannot_submit_for_another_districts_worker(client, beilun_clerk, haishu_claim):
    response = login(client, beilun_clerk).post(
        f"{CLAIMS}add/",
        _add_form(
            worker=haishu_claim.worker_id,
            kind=ClaimKind.SKILL_SUBSIDY,
            certificate=haishu_claim.certificate_id,
        ),
    )
    assert response.status_code == 200
    assert "worker" in response.context["adminform"].form.errors
    assert "海曙职工" not in response.content.decode()
    assert Claim.objects.count() == 1


# --- Programs, enrolments, apprenticeships -------------------------------------------------------------------


@pytest.fixture
def program(db):
    from training.choices import ProgramType
    from training.models import TrainingProgram

    return TrainingProgram.objects.create(
        name="数控车工技能提升班", program_type=ProgramType.SKILL_UPGRADE, provider_school="宁波技师学院",
        district=district("330206"), starts_on=D(2025, 1, 1), ends_on=D(2025, 12, 31),
    )  # fmt: skip


def test_every_training_page_opens_for_a_district_clerk(client, beilun_clerk, program, approved_claims):
    batch = batch_create(by=beilun_clerk, district_id=beilun_clerk.district_id)
    login(client, beilun_clerk)
    for model in ("trainingprogram", "enrollment", "apprenticeship", "subsidyrule", "claim", "paymentbatch"):
        assert client.get(f"/admin/training/{model}/").status_code == 200, model
        expected = 403 if model == "subsidyrule" else 200  # rules: the city union's
        assert client.get(f"/admin/training/{model}/add/").status_code == expected, model
    assert client.get(f"/admin/training/trainingprogram/{program.pk}/change/").status_code == 200
    assert client.get(f"{BATCHES}{batch.pk}/change/").status_code == 200
    assert client.get("/admin/training/payment/").status_code == 200


def test_an_enrolment_is_added_and_completed_through_the_services(
    client, beilun_clerk, worker, program, certify
):
    login(client, beilun_clerk)
    response = client.post(
        "/admin/training/enrollment/add/",
        {"worker": worker.pk, "program": program.pk, "enrolled_on": "2025-03-01"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    enrollment = worker.enrollments.get()
    assert enrollment.district == district("330206")
    assert AuditEvent.objects.filter(action="enrollment.create", actor=beilun_clerk).exists()
    early = client.post(
        "/admin/training/enrollment/add/",
        {"worker": worker.pk, "program": program.pk, "enrolled_on": "2024-03-01"},
    )
    assert early.status_code == 200
    assert "outside the program" in " ".join(early.context["adminform"].form.errors["enrolled_on"])
    certificate = certify(SkillLevel.JUNIOR, D(2025, 5, 1))
    url = f"/admin/training/enrollment/{enrollment.pk}/change/"
    done = client.post(url, {"completed_on": "2025-05-01", "certificate": certificate.pk})
    assert done.status_code == 302, done.content.decode()[:3000]
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.certificate) == ("completed", certificate)


def test_an_apprenticeship_is_added_through_the_service(client, beilun_clerk, worker, beilun_firm):
    apprentice = register_worker(beilun_firm, sequence=71, name="学徒甲", hired_on=D(2024, 1, 1))
    login(client, beilun_clerk)
    data = {
        "master": worker.pk, "apprentice": apprentice.pk, "occupation": "车工",
        "skill_target": SkillLevel.INTERMEDIATE, "starts_on": "2025-03-01", "ends_on": "2026-03-01",
    }  # fmt: skip
    response = client.post("/admin/training/apprenticeship/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert AuditEvent.objects.filter(action="apprenticeship.create", actor=beilun_clerk).exists()
    same = client.post("/admin/training/apprenticeship/add/", data | {"apprentice": worker.pk})
    assert "apprentice" in same.context["adminform"].form.errors


def test_a_tuition_claim_with_its_receipt_is_added_and_shown(
    client, beilun_clerk, worker, tmp_path, settings
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    receipt = SimpleUploadedFile("学费发票.pdf", b"%PDF-1.4", content_type="application/pdf")
    login(client, beilun_clerk)
    response = client.post(
        f"{CLAIMS}add/",
        _add_form(worker=worker.pk, kind=ClaimKind.TUITION, degree="bachelor", institution="宁波大学",
                  major="机械工程", tuition_paid="20000", paid_on="2025-02-01", relevant_to_job="on",
                  receipt=receipt),
    )  # fmt: skip
    assert response.status_code == 302, re.findall(r"errorlist[^>]*><li>([^<]*)", response.content.decode())
    claim = Claim.objects.get()
    assert claim.amount == 10000  # 70% of 20,000 is 14,000, capped at 10,000
    assert claim.tuition.receipt.name.startswith("receipts/2025/06/")
    page = client.get(f"{CLAIMS}{claim.pk}/change/").content.decode()
    assert "宁波大学" in page and "学费发票" in page and ACCOUNT not in page


# --- The receipt from the claim's page ------------------------------------------------------------------------


def test_staff_in_scope_open_the_receipt_from_the_claims_page(
    client, beilun_clerk, haishu_clerk, worker, receipt
):
    claim = claim_submit(
        by=None, worker_id=worker.pk, kind=ClaimKind.TUITION,
        tuition={"degree": "bachelor", "institution": "宁波大学", "major": "机械工程", "tuition_paid": 8000,
                 "paid_on": D(2025, 2, 1), "relevant_to_job": True, "receipt": receipt(b"%PDF-1.4 scan")},
    )  # fmt: skip
    page = login(client, beilun_clerk).get(f"{CLAIMS}{claim.pk}/change/").content.decode()
    link = re.search(r'href="([^"]+)"[^>]*>[^<]*学费收据', page)
    assert link, "no link to the receipt on the claim's page"
    response = client.get(link.group(1))
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 scan"
    client.logout()
    assert login(client, haishu_clerk).get(link.group(1)).status_code == 404


# --- Rules are versioned, and the claim shows its version ------------------------------------------------------


def _rule_form(rule, **changes) -> dict:
    data = {
        "kind": rule.kind, "name": rule.name, "valid_from": rule.valid_from.isoformat(),
        "valid_to": rule.valid_to.isoformat() if rule.valid_to else "", "level": rule.level or "",
        "program_type": rule.program_type, "district": rule.district_id or "", "title": rule.title_id or "",
        "locally_trained": {None: "unknown", True: "true", False: "false"}[rule.locally_trained],
        "amount": rule.amount if rule.amount is not None else "", "rate": rule.rate if rule.rate is not None else "",
        "cap": rule.cap if rule.cap is not None else "", "window_months": rule.window_months or "",
        "yearly_limit": rule.yearly_limit or "", "new_version_from": "",
    }  # fmt: skip
    return data | changes


def test_changing_a_used_rules_amount_in_the_admin_makes_an_audited_new_version(
    client, city_clerk, worker, certify
):
    rule = SubsidyRule.objects.get(kind=ClaimKind.SKILL_SUBSIDY, level=SkillLevel.JUNIOR)
    judged = claim_submit(
        by=None, worker_id=worker.pk, kind=ClaimKind.SKILL_SUBSIDY,
        certificate_id=certify(SkillLevel.JUNIOR, D(2025, 3, 1)).pk,
    )  # fmt: skip
    url = f"/admin/training/subsidyrule/{rule.pk}/change/"
    login(client, city_clerk)
    undated = client.post(url, _rule_form(rule, amount="1200"))
    assert undated.status_code == 200 and "new_version_from" in undated.context["adminform"].form.errors
    response = client.post(url, _rule_form(rule, amount="1200", new_version_from="2025-04-01"))
    assert response.status_code == 302, re.findall(r"errorlist[^>]*><li>([^<]*)", response.content.decode())
    rule.refresh_from_db()
    assert (rule.amount, rule.valid_to) == (1000, D(2025, 3, 31))
    new = SubsidyRule.objects.get(replaces=rule)
    assert (new.amount, new.valid_from, new.version) == (1200, D(2025, 4, 1), 2)
    assert AuditEvent.objects.filter(action="rule.revise", actor=city_clerk, object_id=str(new.pk)).exists()
    page = client.get(f"{CLAIMS}{judged.pk}/change/").content.decode()
    assert "version 1" in page and rule.name in page


def test_a_new_rule_is_added_through_the_service_and_audited(client, city_clerk):
    rule = SubsidyRule.objects.get(kind=ClaimKind.SKILL_SUBSIDY, level=SkillLevel.JUNIOR)
    data = _rule_form(rule, name="北仑初级加码", district=district("330206").pk, amount="1300")
    response = login(client, city_clerk).post("/admin/training/subsidyrule/add/", data)
    assert response.status_code == 302, re.findall(r"errorlist[^>]*><li>([^<]*)", response.content.decode())
    added = SubsidyRule.objects.get(name="北仑初级加码")
    assert AuditEvent.objects.filter(action="rule.create", object_id=str(added.pk)).exists()


# --- Deciding a claim from its own page ---------------------------------------------------------------------


def decide(client, claim, action: str, **data):
    url = f"{CLAIMS}{claim.pk}/decide/{action}/"
    response = client.post(url, data)
    if response.status_code == 302:
        client.get(response.url)  # show (and use up) the messages
    return response


def test_a_claim_is_reviewed_and_approved_from_its_page(
    client, new_claims, beilun_clerk, beilun_reviewer, beilun_approver
):
    (claim,) = new_claims(beilun_clerk, 1)
    page = login(client, beilun_reviewer).get(f"{CLAIMS}{claim.pk}/change/").content.decode()
    assert f"{CLAIMS}{claim.pk}/decide/review/" in page and f"{CLAIMS}{claim.pk}/decide/reject/" in page
    assert f"{CLAIMS}{claim.pk}/decide/approve/" not in page  # not reviewed yet
    assert client.get(f"{CLAIMS}{claim.pk}/decide/review/").status_code == 200
    response = decide(client, claim, "review", note="材料齐全")
    assert response.status_code == 302 and response.url.endswith(f"{CLAIMS}{claim.pk}/change/")
    assert any(claim.reference in m for m in texts(response, "success"))
    refused = decide(client, claim, "approve")  # the reviewer may not approve
    assert statuses([claim]) == [ClaimStatus.REVIEWED]
    assert any("someone other" in m for m in texts(refused, "error"))
    client.logout()
    decide(login(client, beilun_approver), claim, "approve")
    assert statuses([claim]) == [ClaimStatus.APPROVED]
    assert AuditEvent.objects.filter(action="claim.approve", actor=beilun_approver).exists()


def test_rejecting_and_cancelling_from_the_page_ask_for_a_reason(
    client, new_claims, beilun_clerk, beilun_reviewer, approved_claims
):
    (claim,) = new_claims(beilun_clerk, 1)
    login(client, beilun_reviewer)
    form = client.get(f"{CLAIMS}{claim.pk}/decide/reject/")
    assert 'name="reason"' in form.content.decode()
    blank = decide(client, claim, "reject", reason=" ")
    assert blank.status_code == 200 and statuses([claim]) == [ClaimStatus.SUBMITTED]
    decide(client, claim, "reject", reason="证书与工种不符")
    assert statuses([claim]) == [ClaimStatus.REJECTED]
    assert Claim.objects.get(pk=claim.pk).closed_reason == "证书与工种不符"
    decide(client, approved_claims[0], "cancel", reason="职工撤回")
    assert statuses(approved_claims) == [ClaimStatus.CANCELLED, ClaimStatus.APPROVED]


def test_only_clerks_in_scope_decide(client, new_claims, beilun_clerk, beilun_official, haishu_clerk):
    (claim,) = new_claims(beilun_clerk, 1)
    # Officials have no admin; Haishu's clerk has no Beilun claim.
    for outsider in (beilun_official, haishu_clerk):
        login(client, outsider)
        response = client.post(f"{CLAIMS}{claim.pk}/decide/review/")
        assert response.status_code == 404 or "/login/" in response.get("Location", "")
        assert "/decide/" not in client.get(f"{CLAIMS}{claim.pk}/change/").content.decode()
        client.logout()
    assert statuses([claim]) == [ClaimStatus.SUBMITTED]
    assert not AuditEvent.objects.filter(action="claim.review").exists()


def test_staff_entering_a_paper_tuition_claim_must_attach_the_scan(client, beilun_clerk, worker):
    response = login(client, beilun_clerk).post(
        f"{CLAIMS}add/",
        _add_form(worker=worker.pk, kind=ClaimKind.TUITION, degree="bachelor", institution="宁波大学",
                  major="机械工程", tuition_paid="8000", paid_on="2025-02-01", relevant_to_job="on"),
    )  # fmt: skip
    assert response.status_code == 200
    assert "receipt" in response.context["adminform"].form.errors
    assert not Claim.objects.exists()


def test_a_district_clerk_reads_a_rule_and_its_versions_without_changing_them(
    client, beilun_clerk, city_clerk
):
    from training.services import rule_revise

    rule = SubsidyRule.objects.get(kind=ClaimKind.SKILL_SUBSIDY, level=SkillLevel.JUNIOR)
    # No claim used it: the city union corrects it in place.
    rule_revise(by=city_clerk, rule_id=rule.pk, changes={"name": "初级工补贴"})
    login(client, beilun_clerk)
    page = client.get(f"/admin/training/subsidyrule/{rule.pk}/change/")
    assert page.status_code == 200 and "初级工补贴" in page.content.decode()
    response = client.post(f"/admin/training/subsidyrule/{rule.pk}/change/", _rule_form(rule, amount="1"))
    assert response.status_code == 403
    assert SubsidyRule.objects.get(pk=rule.pk).amount == 1000


@pytest.mark.parametrize("char", ["\u202e", "\u0001"])
def test_a_programme_name_with_a_control_character_is_refused_by_the_form_the_admin_saves_with(program, char):
    """Programmes are kept in the admin, whose ModelForm runs the model's full_clean (no service)."""
    from django.core.exceptions import ValidationError

    program.name = f"数控{char}车工班"
    with pytest.raises(ValidationError) as caught:
        program.full_clean()
    assert "name" in caught.value.message_dict
    program.name, program.provider_school = "  数控车工班 ", " 宁波技师学院  "
    program.full_clean()
    assert (program.name, program.provider_school) == ("数控车工班", "宁波技师学院")


def test_the_claim_list_filters_with_the_api_s_parameters(client, beilun_clerk, approved_claims, new_claims):
    (waiting,) = new_claims(beilun_clerk, 1)
    login(client, beilun_clerk)
    for query, expected in (
        ({"status": ClaimStatus.APPROVED}, approved_claims),
        ({"status": ClaimStatus.SUBMITTED, "district": district("330206").pk}, [waiting]),
        ({"status__exact": ClaimStatus.SUBMITTED}, [waiting]),  # Django's own field-filter links still work
    ):
        html = client.get(CLAIMS, query).content.decode()
        shown = {c.reference for c in [*approved_claims, waiting] if c.reference in html}
        assert shown == {c.reference for c in expected}, query


def test_a_claim_applied_for_online_names_the_worker_not_their_hashed_account(
    client, beilun_clerk, worker, certify
):
    from selfservice.services import account_activate

    account = account_activate(worker_id=worker.pk, password="Lanterns-on-the-river-9")
    certificate = certify(SkillLevel.SENIOR, datetime.date(2025, 5, 1))
    claim = claim_submit(
        by=account,
        worker_id=worker.pk,
        kind=ClaimKind.SKILL_SUBSIDY,
        certificate_id=certificate.pk,
        online=True,
    )
    html = login(client, beilun_clerk).get(f"/admin/training/claim/{claim.pk}/change/").content.decode()
    assert account.username not in html
    submitted = html[html.index("field-submitted_by_name") :]
    assert worker.name in submitted[: submitted.index("</div>", submitted.index("readonly"))]
