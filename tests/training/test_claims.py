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
