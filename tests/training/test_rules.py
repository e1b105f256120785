"""The subsidy rules: amounts by level, the window, the yearly limit, once per occupation and level,
no lower level after a higher one, rules judged by date, tuition relevance and cap, awards."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from freezegun import freeze_time

from training.choices import ClaimKind, ClaimStatus
from training.models import Claim, SubsidyRule
from training.rules import add_months
from training.services import claim_submit
from workers.choices import SkillLevel
from workers.models import CraftsmanTitle
from workers.services import award_grant

D = datetime.date


def submit_subsidy(worker, certificate, **kwargs):
    return claim_submit(
        by=None, worker_id=worker.pk, kind=ClaimKind.SKILL_SUBSIDY, certificate_id=certificate.pk, **kwargs
    )


@freeze_time("2025-06-01 10:00:00+08:00")
@pytest.mark.parametrize(
    ("level", "amount"),
    [(SkillLevel.JUNIOR, "1000"), (SkillLevel.INTERMEDIATE, "1500"), (SkillLevel.SENIOR, "2000")],
)
def test_the_subsidy_amount_follows_the_level(worker, certify, level, amount):
    claim = submit_subsidy(worker, certify(level, D(2025, 3, 1)))
    assert claim.amount == Decimal(amount)
    assert claim.status == ClaimStatus.SUBMITTED


@freeze_time("2025-06-01")
def test_an_apprentice_certificate_earns_nothing(worker, certify):
    with pytest.raises(ValidationError, match="rule"):
        submit_subsidy(worker, certify(SkillLevel.APPRENTICE, D(2025, 3, 1)))


def test_the_twelve_month_window_counts_from_the_certificate_date(worker, certify):
    certificate = certify(SkillLevel.JUNIOR, D(2024, 2, 29))
    with freeze_time("2025-03-01 12:00:00+08:00"), pytest.raises(ValidationError, match="12"):
        submit_subsidy(worker, certificate)
    with freeze_time("2025-02-28 12:00:00+08:00"):
        assert submit_subsidy(worker, certificate).amount == Decimal("1000")


def test_add_months_keeps_month_ends():
    assert add_months(D(2024, 2, 29), 12) == D(2025, 2, 28)
    assert add_months(D(2025, 1, 31), 1) == D(2025, 2, 28)
    assert add_months(D(2025, 3, 15), 12) == D(2026, 3, 15)


@freeze_time("2025-11-01 10:00:00+08:00")
def test_at_most_three_per_calendar_year_and_rejected_ones_do_not_count(worker, certify, beilun_clerk):
    from training.services import claim_reject

    certs = [certify(SkillLevel.JUNIOR, D(2025, 1, 10), occupation=f"工种{n}") for n in range(5)]
    first = submit_subsidy(worker, certs[0])
    submit_subsidy(worker, certs[1])
    submit_subsidy(worker, certs[2])
    with pytest.raises(ValidationError, match="3"):
        submit_subsidy(worker, certs[3])
    claim_reject(claim_id=first.pk, by=beilun_clerk, reason="材料不全")
    assert submit_subsidy(worker, certs[3]).status == ClaimStatus.SUBMITTED


@freeze_time("2025-06-01")
def test_once_per_occupation_and_level(worker, certify):
    submit_subsidy(worker, certify(SkillLevel.INTERMEDIATE, D(2025, 1, 1)))
    again = certify(SkillLevel.INTERMEDIATE, D(2025, 2, 1))  # a second certificate, same occupation and level
    with pytest.raises(ValidationError):
        submit_subsidy(worker, again)
    assert Claim.objects.count() == 1


@freeze_time("2025-06-01")
def test_no_lower_level_after_a_higher_one_was_paid(worker, certify):
    higher = submit_subsidy(worker, certify(SkillLevel.SENIOR, D(2025, 1, 1)))
    Claim.objects.filter(pk=higher.pk).update(status=ClaimStatus.PAID)
    with pytest.raises(ValidationError, match="higher"):
        submit_subsidy(worker, certify(SkillLevel.INTERMEDIATE, D(2025, 2, 1)))
    # Another occupation is not affected.
    assert submit_subsidy(worker, certify(SkillLevel.INTERMEDIATE, D(2025, 2, 1), occupation="焊工"))


@freeze_time("2025-06-01")
def test_a_claim_is_judged_by_the_rule_in_force_on_the_certificate_date(worker, certify):
    old = SubsidyRule.objects.get(kind=ClaimKind.SKILL_SUBSIDY, level=SkillLevel.JUNIOR)
    old.valid_to = D(2024, 12, 31)
    old.save()
    SubsidyRule.objects.create(
        kind=ClaimKind.SKILL_SUBSIDY,
        name="2025 初级",
        valid_from=D(2025, 1, 1),
        level=SkillLevel.JUNIOR,
        amount=Decimal("1200"),
        window_months=12,
        yearly_limit=3,
    )
    assert submit_subsidy(worker, certify(SkillLevel.JUNIOR, D(2024, 12, 20))).amount == Decimal("1000")
    assert submit_subsidy(
        worker, certify(SkillLevel.JUNIOR, D(2025, 1, 5), occupation="焊工")
    ).amount == Decimal("1200")


@freeze_time("2025-06-01")
def test_a_revoked_certificate_earns_nothing(worker, certify):
    from workers.services import certificate_revoke

    certificate = certify(SkillLevel.SENIOR, D(2025, 1, 1))
    certificate_revoke(by=None, certificate_id=certificate.pk, revoked_on=D(2025, 5, 1), reason="作废")
    with pytest.raises(ValidationError, match="revoked"):
        submit_subsidy(worker, certificate)


MARCH_2025 = D(2025, 3, 1)


def tuition(amount, receipt, relevant=True, paid_on=MARCH_2025):
    return {
        "degree": "bachelor",
        "institution": "宁波大学",
        "major": "机械工程",
        "tuition_paid": Decimal(amount),
        "paid_on": paid_on,
        "relevant_to_job": relevant,
        "receipt": receipt,
    }


@freeze_time("2025-06-01")
def test_tuition_is_70_percent_up_to_the_cap_and_only_when_relevant(worker, receipt):
    small = claim_submit(
        by=None, worker_id=worker.pk, kind=ClaimKind.TUITION, tuition=tuition("4300.55", receipt())
    )
    assert small.amount == Decimal("3010.39")  # 4300.55 × 0.7 = 3010.385, rounded half up
    assert small.tuition.major == "机械工程"
    big = claim_submit(
        by=None, worker_id=worker.pk, kind=ClaimKind.TUITION, tuition=tuition("30000", receipt())
    )
    assert big.amount == Decimal("10000")
    with pytest.raises(ValidationError) as caught:
        claim_submit(
            by=None,
            worker_id=worker.pk,
            kind=ClaimKind.TUITION,
            tuition=tuition("5000", receipt(), relevant=False),
        )
    assert "relevant_to_job" in caught.value.message_dict


@freeze_time("2025-06-01")
def test_beilun_pays_200000_for_a_locally_trained_zhejiang_craftsman_once(worker):
    title = CraftsmanTitle.objects.get(name="浙江工匠")
    award = award_grant(
        by=None,
        worker_id=worker.pk,
        title_id=title.pk,
        year=2024,
        nominated_by="employer",
        locally_trained=True,
    )
    claim = claim_submit(by=None, worker_id=worker.pk, kind=ClaimKind.CRAFTSMAN_AWARD, award_id=award.pk)
    assert claim.amount == Decimal("200000")
    with pytest.raises(ValidationError):
        claim_submit(by=None, worker_id=worker.pk, kind=ClaimKind.CRAFTSMAN_AWARD, award_id=award.pk)


@freeze_time("2025-06-01")
def test_no_award_money_when_not_locally_trained_or_in_another_district(worker):
    title = CraftsmanTitle.objects.get(name="浙江工匠")
    award = award_grant(
        by=None, worker_id=worker.pk, title_id=title.pk, year=2024, nominated_by="self", locally_trained=False
    )
    with pytest.raises(ValidationError, match="rule"):
        claim_submit(by=None, worker_id=worker.pk, kind=ClaimKind.CRAFTSMAN_AWARD, award_id=award.pk)


@freeze_time("2025-06-01")
def test_a_claim_needs_a_bank_account(beilun_firm, certify):
    from tests.factories import register_worker

    no_account = register_worker(beilun_firm, sequence=99)
    certificate = certify(SkillLevel.JUNIOR, D(2025, 1, 1))
    certificate.worker = no_account
    certificate.save()
    with pytest.raises(ValidationError) as caught:
        submit_subsidy(no_account, certificate)
    assert "bank_account" in caught.value.message_dict


# --- Versions: a rule that judged a claim is never edited in place ----------------------------------------


def junior_rule() -> SubsidyRule:
    return SubsidyRule.objects.get(kind=ClaimKind.SKILL_SUBSIDY, level=SkillLevel.JUNIOR)


@freeze_time("2025-06-01 10:00:00+08:00")
def test_changing_a_rule_that_judged_a_claim_makes_a_new_version(worker, certify, city_clerk):
    from portal.models import AuditEvent
    from training.services import rule_revise

    rule = junior_rule()
    judged = submit_subsidy(worker, certify(SkillLevel.JUNIOR, D(2025, 3, 1)))
    new = rule_revise(
        by=city_clerk, rule_id=rule.pk, changes={"amount": Decimal("1200")}, valid_from=D(2025, 4, 1)
    )
    old = SubsidyRule.objects.get(pk=rule.pk)
    assert (old.amount, old.valid_to, old.version) == (Decimal("1000"), D(2025, 3, 31), 1)
    assert (new.amount, new.valid_from, new.valid_to, new.version, new.replaces_id) == (
        Decimal("1200"), D(2025, 4, 1), None, 2, rule.pk,
    )  # fmt: skip
    assert (new.level, new.window_months, new.yearly_limit) == (
        old.level,
        old.window_months,
        old.yearly_limit,
    )
    judged.refresh_from_db()
    assert (judged.rule_id, judged.amount) == (rule.pk, Decimal("1000"))
    # Each claim is judged by the version in force on its reference date (here the certificate's date).
    before = submit_subsidy(worker, certify(SkillLevel.JUNIOR, D(2025, 3, 31), occupation="焊工"))
    after = submit_subsidy(worker, certify(SkillLevel.JUNIOR, D(2025, 4, 1), occupation="钳工"))
    assert (before.rule_id, before.amount) == (rule.pk, Decimal("1000"))
    assert (after.rule_id, after.amount) == (new.pk, Decimal("1200"))
    event = AuditEvent.objects.get(action="rule.revise")
    assert (event.actor, event.object_id) == (city_clerk, str(new.pk))
    assert (event.data["from"]["amount"], event.data["to"]["amount"]) == ("1000.00", "1200.00")
    assert (event.data["replaces"], event.data["valid_from"]) == (rule.pk, "2025-04-01")


@freeze_time("2025-06-01 10:00:00+08:00")
def test_a_new_version_starts_after_every_claim_the_old_one_judged(worker, certify, city_clerk):
    from training.services import rule_revise

    rule = junior_rule()
    submit_subsidy(worker, certify(SkillLevel.JUNIOR, D(2025, 3, 1)))
    for valid_from in (D(2025, 3, 1), D(2024, 1, 1), None):
        with pytest.raises(ValidationError) as caught:
            rule_revise(
                by=city_clerk, rule_id=rule.pk, changes={"amount": Decimal("1200")}, valid_from=valid_from
            )
        assert "valid_from" in caught.value.message_dict
    # What decides which claims a rule covers is not changed on a rule that judged claims.
    with pytest.raises(ValidationError):
        rule_revise(
            by=city_clerk, rule_id=rule.pk, changes={"level": SkillLevel.SENIOR}, valid_from=D(2025, 7, 1)
        )
    assert SubsidyRule.objects.filter(kind=ClaimKind.SKILL_SUBSIDY, level=SkillLevel.JUNIOR).count() == 1
    assert junior_rule().amount == Decimal("1000") and junior_rule().valid_to is None


def test_a_rule_no_claim_used_is_corrected_in_place_and_audited(city_clerk):
    from portal.models import AuditEvent
    from training.services import rule_revise

    rule = junior_rule()
    corrected = rule_revise(
        by=city_clerk, rule_id=rule.pk, changes={"amount": Decimal("1100")}, valid_from=None
    )
    assert corrected.pk == rule.pk and junior_rule().amount == Decimal("1100")
    assert SubsidyRule.objects.filter(kind=ClaimKind.SKILL_SUBSIDY, level=SkillLevel.JUNIOR).count() == 1
    event = AuditEvent.objects.get(action="rule.correct")
    assert (event.data["from"], event.data["to"]) == ({"amount": "1000.00"}, {"amount": "1100.00"})


def test_only_the_city_union_changes_rules(beilun_clerk):
    from django.core.exceptions import PermissionDenied

    from training.services import rule_revise

    with pytest.raises(PermissionDenied):
        rule_revise(
            by=beilun_clerk, rule_id=junior_rule().pk, changes={"amount": Decimal("1")}, valid_from=None
        )
    assert junior_rule().amount == Decimal("1000")
