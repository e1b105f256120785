"""Bank-account changes (pending until a clerk confirms), notices from the audit log, the clerk's work queue
(which grew out of the inbox of online applications; its other contents: tests/selfservice/test_work_queue.py)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mediation import services as mediation_services
from portal.models import AuditEvent
from selfservice import services
from selfservice.models import BankAccountChange, BankAccountChangeStatus
from selfservice.selectors import notices_for
from tests.factories import UserFactory, district
from tests.portal.test_pages import accessibility_problems
from tests.selfservice import test_selfservice as account_tests
from tests.selfservice import test_selfservice_pages as page_tests
from tests.selfservice.test_selfservice_pages import apply_case, certify, tuition_claim
from training.choices import ClaimKind
from training.models import Claim
from training.services import claim_approve, claim_reject, claim_submit, claims_review_bulk
from workers.models import Worker

pytestmark = pytest.mark.django_db

# Fixtures shared with the other self-service tests.
firm = account_tests.firm
haishu_firm = account_tests.haishu_firm
worker = account_tests.worker
other_worker = account_tests.other_worker
worker_account = account_tests.worker_account
other_account = account_tests.other_account
reviewer = page_tests.reviewer
street_committee = page_tests.street_committee


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # receipts of the tuition claims made here


OLD_ACCOUNT = "6222021234567890123"
NEW_ACCOUNT = "6217000011112222333"


@pytest.fixture
def approver(roles):
    from portal.choices import Role

    return UserFactory(username="beilun_approver", role=Role.DISTRICT_STAFF, district=district("330206"))


def ask_for_new_account(client, account=NEW_ACCOUNT, again=None):
    return client.post(
        "/me/bank-account/",
        {
            "account": account,
            "account_again": again or account,
            "bank_name": "中国工商银行",
            "bank_branch": "北仑支行",
        },
    )


# --- Bank account for payouts ---------------------------------------------------------------------------


def test_a_new_account_waits_for_a_clerk_and_then_carries_its_bank_and_branch(
    client, worker, worker_account, beilun_clerk
):
    client.force_login(worker_account)
    response = ask_for_new_account(client, "6217 0000 1111 2222 333")
    change = BankAccountChange.objects.get()
    assert response.status_code == 302 and response.url == f"/me/bank-account/{change.pk}/submitted/"
    page = client.get(response.url).content.decode()
    assert change.reference in page and NEW_ACCOUNT not in page and change.account_masked in page
    assert change.status == BankAccountChangeStatus.PENDING
    worker.refresh_from_db()
    assert worker.bank_account == OLD_ACCOUNT, "not used before a clerk confirms"
    assert AuditEvent.objects.filter(action="bank_account_change.request", actor=worker_account).exists()
    assert NEW_ACCOUNT not in str(list(AuditEvent.objects.values_list("summary", "data")))

    clerk = client.__class__()
    clerk.force_login(beilun_clerk)
    assert clerk.get(f"/office/bank-accounts/{change.pk}/").status_code == 200
    assert clerk.post(f"/office/bank-accounts/{change.pk}/", {"decision": "confirm"}).status_code == 302
    worker.refresh_from_db()
    change.refresh_from_db()
    assert worker.bank_account == NEW_ACCOUNT
    assert change.status == BankAccountChangeStatus.CONFIRMED and change.decided_by == beilun_clerk
    # Claims hold no account: a payment takes the confirmed one when its batch is sent (test_payments.py).
    assert (worker.bank_name, worker.bank_branch) == ("中国工商银行", "北仑支行")
    assert AuditEvent.objects.filter(action="bank_account_change.confirm", actor=beilun_clerk).exists()
    assert AuditEvent.objects.filter(action="worker.update", actor=beilun_clerk).exists()


def test_a_second_request_replaces_the_pending_one(client, worker_account):
    client.force_login(worker_account)
    ask_for_new_account(client)
    ask_for_new_account(client, "6217000099998888777")
    statuses = sorted(BankAccountChange.objects.values_list("status", flat=True))
    assert statuses == [BankAccountChangeStatus.PENDING, BankAccountChangeStatus.SUPERSEDED]


@pytest.mark.parametrize(
    ("account", "again", "field"),
    [
        ("12345", "12345", "account"),
        (NEW_ACCOUNT, NEW_ACCOUNT[:-1] + "9", "account_again"),
    ],
)
def test_wrong_account_numbers_are_refused_on_the_field(client, worker_account, account, again, field):
    client.force_login(worker_account)
    html = ask_for_new_account(client, account, again).content.decode()
    assert f'id="id_{field}_error"' in html
    assert not BankAccountChange.objects.exists()


def test_a_clerk_of_another_district_cannot_see_or_confirm(client, worker_account, haishu_clerk):
    client.force_login(worker_account)
    ask_for_new_account(client)
    change = BankAccountChange.objects.get()
    client.force_login(haishu_clerk)
    assert client.get(f"/office/bank-accounts/{change.pk}/").status_code == 404
    assert client.post(f"/office/bank-accounts/{change.pk}/", {"decision": "confirm"}).status_code == 404
    with pytest.raises(PermissionDenied):
        services.bank_account_change_confirm(by=haishu_clerk, change_id=change.pk)


def test_a_rejected_change_needs_a_reason_and_the_worker_reads_it(
    client, worker, worker_account, beilun_clerk
):
    client.force_login(worker_account)
    ask_for_new_account(client)
    change = BankAccountChange.objects.get()
    client.force_login(beilun_clerk)
    html = client.post(
        f"/office/bank-accounts/{change.pk}/", {"decision": "reject", "reason": ""}
    ).content.decode()
    assert 'id="id_reason_error"' in html
    client.post(f"/office/bank-accounts/{change.pk}/", {"decision": "reject", "reason": "户名与本人不符"})
    change.refresh_from_db()
    assert change.status == BankAccountChangeStatus.REJECTED
    with pytest.raises(ValidationError):
        services.bank_account_change_confirm(by=beilun_clerk, change_id=change.pk)
    client.force_login(worker_account)
    assert "户名与本人不符" in client.get("/me/").content.decode()
    assert Worker.objects.get(pk=worker.pk).bank_account == OLD_ACCOUNT


def test_only_the_worker_asks_for_their_own_change(beilun_clerk):
    with pytest.raises(PermissionDenied):
        services.bank_account_change_request(by=beilun_clerk, account=NEW_ACCOUNT)


# --- Notices -------------------------------------------------------------------------------------------------


def test_state_changes_of_my_claims_and_cases_become_notices_marked_unread_until_seen(
    client, worker, worker_account, beilun_clerk, reviewer, approver, street_committee
):
    client.force_login(worker_account)
    first = tuition_claim(worker, by=beilun_clerk)
    second = tuition_claim(worker, by=beilun_clerk)
    claims_review_bulk(by=reviewer, claim_ids=[first.pk, second.pk])  # bulk: audit rows without signals
    claim_approve(claim_id=first.pk, by=approver)
    claim_reject(claim_id=second.pk, by=approver, reason="学校证明缺少盖章")
    case = apply_case(worker, worker_account)
    mediation_services.case_accept(case_id=case.pk, by=beilun_clerk, committee_id=street_committee.pk)

    notices = notices_for(worker_account, worker.pk)
    texts = " ".join(n.text for n in notices)
    assert len(notices) == 5 and all(n.unread for n in notices)
    assert first.reference in texts and second.reference in texts and case.number in texts
    assert "学校证明缺少盖章" in texts

    html = client.get("/me/").content.decode()
    assert html.count("notice--unread") == 5
    assert client.get("/me/").content.decode().count("notice--unread") == 0, "seen once, read"
    assert all(not n.unread for n in notices_for(worker_account, worker.pk))

    claim_submit(
        by=beilun_clerk, worker_id=worker.pk, kind=ClaimKind.SKILL_SUBSIDY, certificate_id=certify(worker).pk
    )
    assert client.get("/me/notices/").content.decode().count("notice--unread") == 0, (
        "a submission is no notice"
    )


def test_other_workers_events_never_become_my_notices(
    worker, worker_account, other_worker, haishu_clerk, roles
):
    from portal.choices import Role

    theirs = tuition_claim(other_worker, by=haishu_clerk)
    haishu_reviewer = UserFactory(role=Role.DISTRICT_STAFF, district=district("330203"))
    claims_review_bulk(by=haishu_reviewer, claim_ids=[theirs.pk])
    assert notices_for(worker_account, worker.pk) == []


def test_a_case_due_soon_is_announced(client, worker, worker_account):
    case = apply_case(worker, worker_account)
    type(case).objects.filter(pk=case.pk).update(due_on=datetime.date.today() + datetime.timedelta(days=2))
    client.force_login(worker_account)
    html = client.get("/me/").content.decode()
    assert "notice--warning" in html and case.number in html


def test_the_notice_query_count_does_not_grow(client, worker, worker_account, reviewer, beilun_clerk):
    client.force_login(worker_account)
    claims = [tuition_claim(worker, by=beilun_clerk) for _ in range(2)]
    claims_review_bulk(by=reviewer, claim_ids=[c.pk for c in claims])
    client.get("/me/notices/")  # the first visit creates the read marker
    claims = [tuition_claim(worker, by=beilun_clerk) for _ in range(2)]
    claims_review_bulk(by=reviewer, claim_ids=[c.pk for c in claims])
    with CaptureQueriesContext(connection) as few:
        client.get("/me/notices/")
    claims = [tuition_claim(worker, by=beilun_clerk) for _ in range(15)]
    claims_review_bulk(by=reviewer, claim_ids=[c.pk for c in claims])
    with CaptureQueriesContext(connection) as many:
        client.get("/me/notices/")
    assert len(many) == len(few)


# --- The clerks' inbox -------------------------------------------------------------------------------------


def test_the_inbox_lists_new_online_applications_in_scope_oldest_first(
    client, worker, worker_account, other_worker, other_account, beilun_clerk, haishu_clerk
):
    online_claim = tuition_claim(worker, by=worker_account, online=True)
    tuition_claim(worker, by=beilun_clerk)  # at the counter: not an online application
    case = apply_case(worker, worker_account)
    change = services.bank_account_change_request(by=worker_account, account=NEW_ACCOUNT)
    theirs = tuition_claim(other_worker, by=other_account, online=True)

    client.force_login(beilun_clerk)
    response = client.get("/office/inbox/")
    html = response.content.decode()
    assert response.status_code == 200
    # The full reference: a bare "YH" may also occur in the page's random CSRF token.
    assert online_claim.reference in html and case.number in html and change.reference in html
    assert theirs.reference not in html
    assert html.index(online_claim.reference) < html.index(case.number) < html.index(change.reference)
    assert html.count('class="record"') == 3
    assert accessibility_problems(response.content) == []

    client.force_login(haishu_clerk)
    html = client.get("/office/inbox/").content.decode()
    assert theirs.reference in html and online_claim.reference not in html


def test_the_inbox_is_paginated_with_a_constant_query_count(client, worker, worker_account, beilun_clerk):
    for _ in range(3):
        tuition_claim(worker, by=worker_account, online=True)
    client.force_login(beilun_clerk)
    with CaptureQueriesContext(connection) as few:
        client.get("/office/inbox/")
    for _ in range(30):
        tuition_claim(worker, by=worker_account, online=True)
    with CaptureQueriesContext(connection) as many:
        html = client.get("/office/inbox/").content.decode()
    assert len(many) == len(few)
    assert html.count('class="record"') == 25
    assert "?page=2" in html
    assert client.get("/office/inbox/?page=2").content.decode().count('class="record"') == 8


@pytest.mark.parametrize("persona", ["worker_account", "beilun_official"])
def test_the_inbox_is_for_clerks(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/office/inbox/").status_code == 403


def test_receipts_reach_clerks_in_scope_only(
    client, settings, tmp_path, worker_account, beilun_clerk, haishu_clerk
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.selfservice.test_selfservice_pages import PNG, tuition_form

    settings.MEDIA_ROOT = tmp_path
    client.force_login(worker_account)
    client.post("/me/apply/tuition/", tuition_form(SimpleUploadedFile("r.png", PNG)))
    claim = Claim.objects.get()
    client.force_login(beilun_clerk)
    assert client.get(f"/office/claims/{claim.pk}/receipt/").status_code == 200
    client.force_login(haishu_clerk)
    assert client.get(f"/office/claims/{claim.pk}/receipt/").status_code == 404
    assert claim.amount == Decimal("2800.00")
