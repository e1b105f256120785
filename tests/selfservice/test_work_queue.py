"""The clerk's work queue ("待我处理"): what waits for each persona, in their scope, oldest first, and the
navigation's count, which every page renders and so must stay cheap."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mediation import services as mediation_services
from mediation.choices import CaseSource, CommitteeKind, DisputeType
from portal.choices import Role
from portal.roles import PAYMENT_STAFF
from selfservice import selectors, services
from tests.factories import EnterpriseFactory, UserFactory, district, register_worker
from training.choices import BatchStatus, ClaimKind
from training.models import PaymentBatch
from training.services import claim_approve, claim_review, claim_submit
from workers.choices import SkillLevel
from workers.services import certificate_issue

pytestmark = pytest.mark.django_db

QUEUE = "/office/inbox/"
D = datetime.date


@pytest.fixture(autouse=True)
def _threshold_above_every_subsidy(settings):
    settings.CLAIM_CITY_APPROVAL_THRESHOLD = 100_000


@pytest.fixture
def people(roles):
    beilun, haishu = district("330206"), district("330203")
    return {
        "submitter": UserFactory(username="bl_submitter", role=Role.DISTRICT_STAFF, district=beilun),
        "reviewer": UserFactory(username="bl_reviewer", role=Role.DISTRICT_STAFF, district=beilun),
        "approver": UserFactory(username="bl_approver", role=Role.DISTRICT_STAFF, district=beilun),
        "haishu": UserFactory(username="hs_clerk", role=Role.DISTRICT_STAFF, district=haishu),
        "city": UserFactory(username="city_boss", role=Role.CITY_STAFF),
        "official": UserFactory(username="bl_official", role=Role.DISTRICT_OFFICIAL, district=beilun),
    }


_sequence = iter(range(100, 10_000))


def subsidy_claim(by, district_code="330206"):
    """A skill-subsidy claim of a new worker (one per worker, so no yearly limit gets in the way)."""
    n = next(_sequence)
    worker = register_worker(
        EnterpriseFactory(district=district(district_code)),
        sequence=n,
        bank_account="6222021234567890123",
        hired_on=D(2015, 1, 1),
    )
    certificate = certificate_issue(
        by=None, worker_id=worker.pk, level=SkillLevel.JUNIOR, occupation="数控车工", number=f"WQ-{n}",
        issued_on=timezone.localdate() - datetime.timedelta(days=30),
    )  # fmt: skip
    return claim_submit(
        by=by, worker_id=worker.pk, kind=ClaimKind.SKILL_SUBSIDY, certificate_id=certificate.pk
    )


def queue_of(user, **kwargs) -> list[tuple[str, int]]:
    return [(kind, pk) for kind, pk, _at in selectors.work_queue(user, **kwargs)]


def forget_count(user):
    cache.delete(selectors._nav_key(user))


def make_payment_staff(user):
    user.groups.add(Group.objects.get(name=PAYMENT_STAFF))
    return type(user).objects.get(pk=user.pk)  # a fresh object: permissions are cached per instance


def sent_batch(*, created_by, sent_by, district_code="330206", sent_days_ago=1):
    now = timezone.now()
    return PaymentBatch.objects.create(
        district=district(district_code) if district_code else None,
        status=BatchStatus.SENT,
        created_by=created_by,
        sent_by=sent_by,
        sent_at=now - datetime.timedelta(days=sent_days_ago),
    )


# --- Claims: review and approve, with the services' own rules -------------------------------------------


def test_a_district_clerk_reviews_claims_of_their_district_that_someone_else_submitted(people):
    mine = subsidy_claim(people["submitter"])
    colleagues = subsidy_claim(people["reviewer"])
    subsidy_claim(people["haishu"], "330203")  # another district

    assert queue_of(people["submitter"]) == [("review", colleagues.pk)]
    assert queue_of(people["reviewer"]) == [("review", mine.pk)]
    assert {pk for _kind, pk in queue_of(people["approver"])} == {mine.pk, colleagues.pk}


def test_a_claim_i_submitted_or_reviewed_is_not_in_my_approve_list(people):
    claim = claim_review(claim_id=subsidy_claim(people["submitter"]).pk, by=people["reviewer"])

    assert ("approve", claim.pk) not in queue_of(people["submitter"])
    assert ("approve", claim.pk) not in queue_of(people["reviewer"])
    assert queue_of(people["approver"]) == [("approve", claim.pk)]
    assert queue_of(people["haishu"]) == []
    # What the queue offers, the service accepts.
    claim_approve(claim_id=claim.pk, by=people["approver"])
    assert queue_of(people["approver"]) == []


def test_claims_above_the_threshold_wait_for_a_city_clerk(people, settings):
    settings.CLAIM_CITY_APPROVAL_THRESHOLD = 100  # every subsidy is above it
    claim = claim_review(claim_id=subsidy_claim(people["submitter"]).pk, by=people["reviewer"])

    assert queue_of(people["approver"]) == []
    assert queue_of(people["city"]) == [("approve", claim.pk)]


def test_a_city_clerk_sees_every_district(people):
    beilun = subsidy_claim(people["submitter"])
    haishu = subsidy_claim(people["haishu"], "330203")
    assert {pk for _kind, pk in queue_of(people["city"])} == {beilun.pk, haishu.pk}


# --- Batches: payment staff reconcile what someone else created and sent -----------------------------------


def test_payment_staff_reconcile_sent_batches_they_neither_created_nor_sent(people):
    payer = make_payment_staff(people["approver"])
    waiting = sent_batch(created_by=people["submitter"], sent_by=people["reviewer"])
    sent_batch(created_by=payer, sent_by=people["reviewer"])  # created by them
    sent_batch(created_by=people["submitter"], sent_by=payer)  # sent by them
    PaymentBatch.objects.create(district=district("330206"), created_by=people["submitter"])  # still open
    sent_batch(
        created_by=people["city"], sent_by=people["city"], district_code="330203"
    )  # not their district
    sent_batch(created_by=people["city"], sent_by=people["city"], district_code=None)  # city-wide

    assert queue_of(payer) == [("batch", waiting.pk)]
    # Without the duty, a clerk sees no batch at all.
    assert queue_of(people["haishu"]) == []
    city_payer = make_payment_staff(people["city"])
    assert {pk for kind, pk in queue_of(city_payer) if kind == "batch"} == {waiting.pk} | set(
        PaymentBatch.objects.filter(status=BatchStatus.SENT)
        .exclude(created_by=city_payer)
        .exclude(sent_by=city_payer)
        .values_list("pk", flat=True)
    )


# --- Cases and bank-account changes ------------------------------------------------------------------------


@pytest.fixture
def street_committee(db):
    return mediation_services.committee_establish(
        by=None, kind=CommitteeKind.STREET, name="小港街道调解委员会", established_on=D(2020, 1, 1),
        district_id=district("330206").pk,
    )  # fmt: skip


def walk_in_case(by, days_ago: int):
    worker = register_worker(EnterpriseFactory(district=district("330206")), sequence=next(_sequence))
    return mediation_services.case_apply(
        by=by,
        applicant_ids=[worker.pk],
        dispute_type=DisputeType.PAY,
        claim="拖欠工资",
        source=CaseSource.WALK_IN,
        received_on=timezone.localdate() - datetime.timedelta(days=days_ago),
    )


def test_cases_due_within_three_days_or_overdue_are_listed_and_others_not(people, street_committee):
    clerk = people["submitter"]
    overdue = walk_in_case(clerk, days_ago=20)  # due 5 days ago
    due_soon = walk_in_case(clerk, days_ago=13)  # due in 2 days
    walk_in_case(clerk, days_ago=2)  # due in 13 days: not yet
    assert queue_of(clerk) == [("case", overdue.pk), ("case", due_soon.pk)]
    assert queue_of(people["haishu"]) == []
    html = _get(people["reviewer"]).content.decode()
    assert overdue.number in html and due_soon.number in html
    assert "deadline--overdue" in html and "deadline--soon" in html


def test_bank_account_changes_and_online_applications_are_listed(people):
    worker = register_worker(
        EnterpriseFactory(district=district("330206")),
        sequence=next(_sequence),
        bank_account="6222021234567890123",
    )
    account = services.account_activate(worker_id=worker.pk, password="Lanterns-on-the-river-9")
    change = services.bank_account_change_request(by=account, account="6217000011112222333")
    case = mediation_services.case_apply(
        by=account,
        applicant_ids=[worker.pk],
        dispute_type=DisputeType.PAY,
        claim="拖欠",
        source=CaseSource.ONLINE,
    )
    assert queue_of(people["submitter"]) == [("bank", change.pk), ("case", case.pk)]


# --- The page ----------------------------------------------------------------------------------------------


def _get(user, client=None, **params):
    from django.test import Client

    client = client or Client()
    client.force_login(user)
    return client.get(QUEUE, params)


def test_the_page_lists_every_kind_oldest_first_each_with_its_own_date(people, street_committee):
    clerk = make_payment_staff(people["approver"])
    to_review = subsidy_claim(people["submitter"])
    to_approve = claim_review(claim_id=subsidy_claim(people["submitter"]).pk, by=people["reviewer"])
    batch = sent_batch(created_by=people["submitter"], sent_by=people["reviewer"], sent_days_ago=30)
    case = walk_in_case(people["submitter"], days_ago=20)

    response = _get(clerk)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="record"') == 4
    positions = [
        html.index(x) for x in (batch.reference, case.number, to_review.reference, to_approve.reference)
    ]
    assert positions == sorted(positions), "oldest first: the batch sent 30 days ago, then the case …"
    local_sent = timezone.localtime(batch.sent_at)
    assert f"{local_sent:%Y-%m-%d %H:%M}" in html  # the date shown in Asia/Shanghai
    assert f'href="/admin/training/claim/{to_approve.pk}/change/"' in html
    assert f'href="/admin/training/paymentbatch/{batch.pk}/change/"' in html
    assert f'href="/admin/mediation/disputecase/{case.pk}/change/"' in html

    only = _get(clerk, kind="approve").content.decode()
    assert only.count('class="record"') == 1 and to_approve.reference in only


def test_the_page_is_chinese_by_default_and_says_so_when_nothing_waits(people):
    html = _get(people["city"]).content.decode()
    assert '<html lang="zh-Hans">' in html
    assert 'class="card empty-state"' in html
    assert 'href="/admin/"' in html  # somewhere to go next


def test_an_official_has_no_queue_and_no_link_to_one(people):
    response = _get(people["official"])
    assert response.status_code == 403
    assert selectors.work_queue_counts(people["official"]) == dict.fromkeys(selectors.QUEUE_KINDS, 0)
    from django.test import Client

    client = Client()
    client.force_login(people["official"])
    assert QUEUE not in client.get("/dashboard/").content.decode()


# --- The navigation's count: cheap on every page -----------------------------------------------------------


def test_the_navigation_counts_what_waits_and_the_queue_page_refreshes_it(people, client):
    subsidy_claim(people["submitter"])
    subsidy_claim(people["submitter"])
    client.force_login(people["reviewer"])
    html = client.get("/admin/").content.decode()
    assert f'href="{QUEUE}"' in html and "(2)" in html
    subsidy_claim(people["submitter"])
    assert "(2)" in client.get("/admin/").content.decode(), "cached for a minute"
    client.get(QUEUE)
    assert "(3)" in client.get("/admin/").content.decode(), "the queue page refreshes the count"


def test_the_navigation_count_costs_one_bounded_query_then_none(people, client, monkeypatch):
    client.force_login(people["reviewer"])
    client.get("/dashboard/")  # warm up: session, user, the dashboard's own cache
    forget_count(people["reviewer"])
    with CaptureQueriesContext(connection) as cold:
        client.get("/dashboard/")
    with CaptureQueriesContext(connection) as warm:
        client.get("/dashboard/")
    queue_queries = [q["sql"] for q in cold if "item_kind" in q["sql"]]
    assert len(queue_queries) == 1 and "LIMIT" in queue_queries[0]
    assert len(warm) == len(cold) - 1 - _permission_queries(cold)

    for _ in range(3):
        subsidy_claim(people["submitter"])
    forget_count(people["reviewer"])
    with CaptureQueriesContext(connection) as more:
        client.get("/dashboard/")
    assert len(more) == len(cold)


def _permission_queries(queries) -> int:
    # Whether the user is payment staff is asked only when the count is computed.
    return sum(1 for q in queries if "auth_permission" in q["sql"])


def test_a_long_queue_shows_99_plus(people, client, monkeypatch):
    monkeypatch.setattr(selectors, "QUEUE_NAV_BOUND", 3)
    for _ in range(4):
        subsidy_claim(people["submitter"])
    client.force_login(people["reviewer"])
    html = client.get("/dashboard/").content.decode()
    assert ">2+</span>" in html


def test_the_queue_page_costs_the_same_queries_however_long_the_queue(people, client, street_committee):
    clerk = make_payment_staff(people["approver"])
    subsidy_claim(people["submitter"])
    sent_batch(created_by=people["submitter"], sent_by=people["reviewer"])
    walk_in_case(people["submitter"], days_ago=20)
    client.force_login(clerk)
    client.get(QUEUE)
    with CaptureQueriesContext(connection) as few:
        client.get(QUEUE)
    for _ in range(30):
        subsidy_claim(people["submitter"])
    sent_batch(created_by=people["submitter"], sent_by=people["reviewer"])
    walk_in_case(people["submitter"], days_ago=19)
    with CaptureQueriesContext(connection) as many:
        html = client.get(QUEUE).content.decode()
    assert len(many) == len(few)
    assert html.count('class="record"') == 25 and "?page=2" in html


def _online_case():
    worker = register_worker(
        EnterpriseFactory(district=district("330206")),
        sequence=next(_sequence),
        bank_account="6222021234567890123",
    )
    account = services.account_activate(worker_id=worker.pk, password="Lanterns-on-the-river-9")
    return mediation_services.case_apply(
        by=account,
        applicant_ids=[worker.pk],
        dispute_type=DisputeType.PAY,
        claim="拖欠",
        source=CaseSource.ONLINE,
    )


def _record_of(html: str, number: str) -> str:
    start = html.rindex('<li class="record"', 0, html.index(number))
    return html[start : html.index("</li>", start)]


def test_an_online_application_received_months_ago_and_overdue_does_not_look_new(people):
    from django.utils import translation

    from mediation.models import DisputeCase

    fresh = _online_case()
    old = _online_case()
    # Received 90 days ago and never accepted, but its row entered today (as a list loaded later would be).
    received = timezone.localdate() - datetime.timedelta(days=90)
    DisputeCase.objects.filter(pk=old.pk).update(
        received_on=received, due_on=received + datetime.timedelta(days=15)
    )

    # Oldest first by its own date: the case received 90 days ago leads, though its row is newer.
    assert [pk for kind, pk in queue_of(people["submitter"]) if kind == "case"] == [old.pk, fresh.pk]
    html = _get(people["submitter"]).content.decode()
    with translation.override("zh-hans"):
        new = translation.gettext("New online application")
        online = translation.gettext("Applied online")
    old_record, fresh_record = _record_of(html, old.number), _record_of(html, fresh.number)
    assert new not in old_record and online in old_record and "deadline--overdue" in old_record
    assert f"{received:%Y-%m-%d}" in old_record  # its own date of receipt
    assert new in fresh_record


def test_a_claim_to_approve_shows_when_it_was_submitted_as_well_as_reviewed(people):
    from training.models import Claim

    claim = claim_review(claim_id=subsidy_claim(people["submitter"]).pk, by=people["reviewer"])
    Claim.objects.filter(pk=claim.pk).update(submitted_at=claim.reviewed_at - datetime.timedelta(days=5))
    claim.refresh_from_db()
    html = _get(people["approver"]).content.decode()
    record = _record_of(html, claim.reference)
    assert f"{timezone.localtime(claim.submitted_at):%Y-%m-%d %H:%M}" in record
    assert f"{timezone.localtime(claim.reviewed_at):%Y-%m-%d %H:%M}" in record
