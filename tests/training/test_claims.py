"""The claim state machine: every transition, every forbidden one, four eyes, scope, audit, bulk."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from freezegun import freeze_time

from portal.models import AuditEvent
from tests.factories import EnterpriseFactory, district, register_worker
from training.choices import ClaimKind, ClaimStatus
from training.models import Claim
from training.services import (
    claim_approve,
    claim_cancel,
    claim_reject,
    claim_review,
    claim_submit,
    claims_approve_bulk,
    claims_review_bulk,
)
from workers.choices import SkillLevel

D = datetime.date


@pytest.fixture(autouse=True)
def _june_2025():
    with freeze_time("2025-06-01 10:00:00+08:00"):
        yield


@pytest.fixture
def claim(worker, certify, beilun_clerk):
    certificate = certify(SkillLevel.JUNIOR, D(2025, 3, 1))
    return claim_submit(
        by=beilun_clerk, worker_id=worker.pk, kind=ClaimKind.SKILL_SUBSIDY, certificate_id=certificate.pk
    )


def test_submitted_reviewed_approved_by_three_people(claim, beilun_reviewer, beilun_approver):
    claim_review(claim_id=claim.pk, by=beilun_reviewer)
    approved = claim_approve(claim_id=claim.pk, by=beilun_approver)
    assert approved.status == ClaimStatus.APPROVED
    actions = list(
        AuditEvent.objects.filter(object_type="training.claim", object_id=str(claim.pk))
        .order_by("id")
        .values_list("action", "actor__username")
    )
    assert actions == [
        ("claim.submit", "beilun_clerk"),
        ("claim.review", "beilun_reviewer"),
        ("claim.approve", "beilun_approver"),
    ]


def test_nobody_reviews_what_they_submitted(claim, beilun_clerk):
    with pytest.raises(PermissionDenied):
        claim_review(claim_id=claim.pk, by=beilun_clerk)
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.SUBMITTED


def test_the_reviewer_cannot_approve(claim, beilun_reviewer, beilun_clerk):
    claim_review(claim_id=claim.pk, by=beilun_reviewer)
    for user in (beilun_reviewer, beilun_clerk):
        with pytest.raises(PermissionDenied):
            claim_approve(claim_id=claim.pk, by=user)
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.REVIEWED


def test_approval_needs_a_review_first(claim, beilun_approver):
    with pytest.raises(ValidationError, match="cannot be"):
        claim_approve(claim_id=claim.pk, by=beilun_approver)


def test_large_amounts_need_a_city_approver(worker, beilun_reviewer, beilun_approver, city_approver):
    from workers.models import CraftsmanTitle
    from workers.services import award_grant

    award = award_grant(
        by=None,
        worker_id=worker.pk,
        title_id=CraftsmanTitle.objects.get(name="浙江工匠").pk,
        year=2024,
        nominated_by="employer",
        locally_trained=True,
    )
    claim = claim_submit(by=None, worker_id=worker.pk, kind=ClaimKind.CRAFTSMAN_AWARD, award_id=award.pk)
    claim_review(claim_id=claim.pk, by=beilun_reviewer)
    with pytest.raises(PermissionDenied, match="city"):
        claim_approve(claim_id=claim.pk, by=beilun_approver)
    assert claim_approve(claim_id=claim.pk, by=city_approver).status == ClaimStatus.APPROVED


def test_rejection_needs_a_reason_and_is_final(claim, beilun_reviewer, beilun_approver):
    with pytest.raises(ValidationError):
        claim_reject(claim_id=claim.pk, by=beilun_reviewer, reason=" ")
    rejected = claim_reject(claim_id=claim.pk, by=beilun_reviewer, reason="证书与工种不符")
    assert (rejected.status, rejected.closed_reason) == (ClaimStatus.REJECTED, "证书与工种不符")
    for transition in (claim_review, claim_approve):
        with pytest.raises(ValidationError):
            transition(claim_id=claim.pk, by=beilun_approver)


def test_cancel_only_after_approval(claim, beilun_reviewer, beilun_approver):
    with pytest.raises(ValidationError):
        claim_cancel(claim_id=claim.pk, by=beilun_approver, reason="重复")
    claim_review(claim_id=claim.pk, by=beilun_reviewer)
    claim_approve(claim_id=claim.pk, by=beilun_approver)
    assert (
        claim_cancel(claim_id=claim.pk, by=beilun_approver, reason="职工撤回").status == ClaimStatus.CANCELLED
    )


def test_a_beilun_clerk_cannot_touch_a_haishu_claim(beilun_reviewer, haishu_clerk, roles):
    haishu_worker = register_worker(
        EnterpriseFactory(district=district("330203")), sequence=3, bank_account="6222020000000000001"
    )
    from workers.services import certificate_issue

    certificate = certificate_issue(
        by=None, worker_id=haishu_worker.pk, level=2, occupation="焊工", number="H-1", issued_on=D(2025, 3, 1)
    )
    claim = claim_submit(
        by=haishu_clerk,
        worker_id=haishu_worker.pk,
        kind=ClaimKind.SKILL_SUBSIDY,
        certificate_id=certificate.pk,
    )
    with pytest.raises(PermissionDenied):
        claim_review(claim_id=claim.pk, by=beilun_reviewer)
    with pytest.raises(PermissionDenied):
        claim_submit(
            by=beilun_reviewer,
            worker_id=haishu_worker.pk,
            kind=ClaimKind.SKILL_SUBSIDY,
            certificate_id=certificate.pk,
        )


def test_officials_cannot_handle_claims(claim, beilun_official):
    with pytest.raises(PermissionDenied):
        claim_review(claim_id=claim.pk, by=beilun_official)


def test_a_worker_submits_only_for_themself(worker, certify, worker_user):
    certificate = certify(SkillLevel.JUNIOR, D(2025, 3, 1))
    with pytest.raises(PermissionDenied):
        claim_submit(
            by=worker_user, worker_id=worker.pk, kind=ClaimKind.SKILL_SUBSIDY, certificate_id=certificate.pk
        )
    worker_user.worker = worker
    worker_user.save()
    claim = claim_submit(
        by=worker_user,
        worker_id=worker.pk,
        kind=ClaimKind.SKILL_SUBSIDY,
        certificate_id=certificate.pk,
        online=True,
    )
    assert claim.submitted_online and claim.submitted_by == worker_user


OCCUPATIONS = iter(range(10_000))


def make_claims(worker, certify, by, n):
    claims = []
    for k in range(n):
        certificate = certify(SkillLevel.JUNIOR + k % 3, D(2025, 3, 1), occupation=f"工种{next(OCCUPATIONS)}")
        # the yearly limit is lifted for this bulk scenario
        claims.append(
            claim_submit(
                by=by, worker_id=worker.pk, kind=ClaimKind.SKILL_SUBSIDY, certificate_id=certificate.pk
            )
        )
    return claims


def test_bulk_review_reports_how_many_changed_and_why_the_others_did_not(
    worker, certify, beilun_clerk, beilun_reviewer
):
    from training.models import SubsidyRule

    SubsidyRule.objects.update(yearly_limit=None)
    mine = make_claims(worker, certify, beilun_reviewer, 1)
    others = make_claims(worker, certify, beilun_clerk, 3)
    claim_review(claim_id=others[0].pk, by=beilun_reviewer)
    outcome = claims_review_bulk(by=beilun_reviewer, claim_ids=[c.pk for c in mine + others] + [999_999])
    assert outcome.changed == 2
    refused = [ref for refs in outcome.refused.values() for ref in refs]
    assert sorted(refused) == sorted([mine[0].reference, others[0].reference, "#999999"])
    assert Claim.objects.filter(status=ClaimStatus.REVIEWED).count() == 3
    assert AuditEvent.objects.filter(action="claim.review", data__bulk=True).count() == 2


def test_bulk_transitions_record_one_full_audit_event_per_changed_claim(
    worker, certify, beilun_clerk, beilun_reviewer, beilun_approver
):
    from training.models import SubsidyRule

    SubsidyRule.objects.update(yearly_limit=None)
    claims = make_claims(worker, certify, beilun_clerk, 3)
    claims_review_bulk(by=beilun_reviewer, claim_ids=[c.pk for c in claims])
    claims_approve_bulk(by=beilun_approver, claim_ids=[c.pk for c in claims[:2]])
    for action, by, changed, old, new in (
        ("claim.review", beilun_reviewer, claims, ClaimStatus.SUBMITTED, ClaimStatus.REVIEWED),
        ("claim.approve", beilun_approver, claims[:2], ClaimStatus.REVIEWED, ClaimStatus.APPROVED),
    ):
        events = {e.object_id: e for e in AuditEvent.objects.filter(action=action)}
        assert set(events) == {str(c.pk) for c in changed}
        for claim in changed:
            event = events[str(claim.pk)]
            assert (event.actor, event.district_id, event.object_type, event.family) == (
                by, claim.district_id, "training.claim", "claim",
            )  # fmt: skip
            assert (event.data["from"], event.data["to"], event.data["bulk"]) == (old, new, True)
            assert Decimal(event.data["amount"]) == claim.amount


def test_bulk_approve_keeps_four_eyes_and_the_city_threshold(
    worker, certify, beilun_clerk, beilun_reviewer, beilun_approver, settings
):
    from training.models import SubsidyRule

    SubsidyRule.objects.update(yearly_limit=None)
    settings.CLAIM_CITY_APPROVAL_THRESHOLD = 1200
    claims = make_claims(worker, certify, beilun_clerk, 3)  # 1000, 1500, 2000 yuan
    claims_review_bulk(by=beilun_reviewer, claim_ids=[c.pk for c in claims])
    outcome = claims_approve_bulk(by=beilun_approver, claim_ids=[c.pk for c in claims])
    assert outcome.changed == 1
    assert Claim.objects.get(status=ClaimStatus.APPROVED).amount == Decimal("1000")
    again = claims_approve_bulk(by=beilun_reviewer, claim_ids=[c.pk for c in claims])
    assert again.changed == 0 and any("review" in r for r in again.refused)


# --- No double reimbursement ------------------------------------------------------------------------------


def tuition_for(receipt, **overrides) -> dict:
    return {
        "degree": "bachelor",
        "institution": "宁波大学",
        "major": "机械工程",
        "tuition_paid": Decimal("8000"),
        "paid_on": D(2025, 3, 1),
        "relevant_to_job": True,
        "receipt": receipt,
    } | overrides


def submit_tuition(worker, by=None, **tuition):
    return claim_submit(by=by, worker_id=worker.pk, kind=ClaimKind.TUITION, tuition=tuition)


def test_the_same_tuition_payment_is_not_reimbursed_twice(worker, receipt, beilun_clerk):
    first = submit_tuition(worker, **tuition_for(receipt()))
    # Another scan of the same payment, the institution typed with spaces: still the same payment.
    with pytest.raises(ValidationError) as caught:
        submit_tuition(worker, **tuition_for(receipt(), institution=" 宁波大学 "))
    assert first.reference in " ".join(caught.value.messages)
    assert Claim.objects.filter(kind=ClaimKind.TUITION).count() == 1
    # Another amount or another date is another payment.
    assert submit_tuition(worker, **tuition_for(receipt(), tuition_paid=Decimal("2000")))
    assert submit_tuition(worker, **tuition_for(receipt(), paid_on=D(2025, 4, 1)))
    # A rejected claim no longer stands in the way.
    claim_reject(claim_id=first.pk, by=beilun_clerk, reason="收据不清")
    assert submit_tuition(worker, **tuition_for(receipt())).status == ClaimStatus.SUBMITTED


def test_a_paid_tuition_claim_blocks_the_same_payment_too(worker, receipt):
    first = submit_tuition(worker, **tuition_for(receipt()))
    Claim.objects.filter(pk=first.pk).update(status=ClaimStatus.PAID)
    with pytest.raises(ValidationError, match=first.reference):
        submit_tuition(worker, **tuition_for(receipt()))


def test_one_receipt_cannot_back_two_claims(worker, beilun_firm, receipt, beilun_clerk):
    other = register_worker(beilun_firm, sequence=8, bank_account="6222020000000000008")
    first = submit_tuition(worker, **tuition_for(receipt(b"%PDF-1.4 the one receipt")))
    assert len(first.tuition.receipt_sha256) == 64
    with pytest.raises(ValidationError) as caught:
        submit_tuition(other, **tuition_for(receipt(b"%PDF-1.4 the one receipt"), institution="宁波工程学院"))
    assert "receipt" in caught.value.message_dict
    assert first.reference in " ".join(caught.value.message_dict["receipt"])
    claim_reject(claim_id=first.pk, by=beilun_clerk, reason="不是本人的收据")
    assert submit_tuition(other, **tuition_for(receipt(b"%PDF-1.4 the one receipt")))


def test_the_database_refuses_a_receipt_behind_two_live_claims(worker, receipt):
    from django.db import IntegrityError, transaction

    from training.models import TuitionDetail

    first = submit_tuition(worker, **tuition_for(receipt()))
    second = submit_tuition(worker, **tuition_for(receipt(), tuition_paid=Decimal("100")))
    with pytest.raises(IntegrityError), transaction.atomic():
        TuitionDetail.objects.filter(pk=second.pk).update(receipt_sha256=first.tuition.receipt_sha256)


def test_every_tuition_claim_needs_a_receipt(worker):
    with pytest.raises(ValidationError) as caught:
        submit_tuition(worker, **tuition_for(None))
    assert "receipt" in caught.value.message_dict
    assert not Claim.objects.exists()


def test_a_craftsman_award_is_paid_once_per_title_whatever_the_year(worker, beilun_clerk):
    from workers.models import CraftsmanTitle
    from workers.services import award_grant

    title = CraftsmanTitle.objects.get(name="浙江工匠")
    awards = [
        award_grant(
            by=None, worker_id=worker.pk, title_id=title.pk, year=year, nominated_by="employer",
            locally_trained=True,
        )
        for year in (2023, 2024)
    ]  # fmt: skip
    first = claim_submit(by=None, worker_id=worker.pk, kind=ClaimKind.CRAFTSMAN_AWARD, award_id=awards[0].pk)
    with pytest.raises(ValidationError) as caught:
        claim_submit(by=None, worker_id=worker.pk, kind=ClaimKind.CRAFTSMAN_AWARD, award_id=awards[1].pk)
    message = " ".join(caught.value.messages)
    assert first.reference in message and "浙江工匠" in message
    claim_reject(claim_id=first.pk, by=beilun_clerk, reason="年份有误")
    assert (
        claim_submit(
            by=None, worker_id=worker.pk, kind=ClaimKind.CRAFTSMAN_AWARD, award_id=awards[1].pk
        ).award_title
        == title
    )


def test_the_database_refuses_a_second_live_award_claim_for_one_title(worker):
    from django.db import IntegrityError, transaction

    from workers.models import CraftsmanTitle
    from workers.services import award_grant

    title = CraftsmanTitle.objects.get(name="浙江工匠")
    awards = [
        award_grant(
            by=None, worker_id=worker.pk, title_id=title.pk, year=year, nominated_by="employer",
            locally_trained=True,
        )
        for year in (2023, 2024)
    ]  # fmt: skip
    first = claim_submit(by=None, worker_id=worker.pk, kind=ClaimKind.CRAFTSMAN_AWARD, award_id=awards[0].pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(
            kind=ClaimKind.CRAFTSMAN_AWARD, worker=worker, district=first.district, amount=first.amount,
            rule=first.rule, reference_date=first.reference_date, award=awards[1], award_title=title,
            submitted_at=first.submitted_at,
        )  # fmt: skip


def _submit_in_thread(worker_id, content, barrier, outcomes):
    from django.core.files.base import ContentFile
    from django.db import connections

    try:
        barrier.wait(timeout=30)
        claim = claim_submit(
            by=None,
            worker_id=worker_id,
            kind=ClaimKind.TUITION,
            tuition=tuition_for(ContentFile(content, name="收据.pdf")),
        )
        outcomes.append(claim.reference)
    except ValidationError as exc:
        outcomes.append(exc)
    finally:
        connections.close_all()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_receipt_raced_by_eight_workers_backs_one_claim(beilun_firm, settings, tmp_path):
    import threading

    settings.MEDIA_ROOT = tmp_path
    workers = [
        register_worker(beilun_firm, sequence=60 + n, bank_account=f"62220200000000{n:05d}") for n in range(8)
    ]
    barrier, outcomes = threading.Barrier(len(workers)), []
    threads = [
        threading.Thread(target=_submit_in_thread, args=(w.pk, b"%PDF-1.4 shared", barrier, outcomes))
        for w in workers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    won = [o for o in outcomes if isinstance(o, str)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(won) == 1 and len(refused) == len(workers) - 1
    assert Claim.objects.filter(kind=ClaimKind.TUITION).count() == 1
    assert all(won[0] in " ".join(e.messages) or "already" in " ".join(e.messages) for e in refused)
