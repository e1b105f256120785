"""The demo worker's year (worker_zhang, 张金达 of the report) and the payment office's work, through the services.

Everything is written as the people would write it, with the demo accounts: the worker asks for his
bank account to be used and a Beilun clerk confirms it; certificates, enrolments (one finished) and a
master-apprentice agreement; claims in every state of the state machine (submitted online by the
worker, reviewed by the Beilun clerk, approved by the city clerk, cancelled or rejected with a reason,
paid and returned by the payment office: pay_sender sends the batch, pay_reconciler marks it); a
mediation case received a few days ago, with days left on its 15-day clock; and a 高级 certificate of
last month that no claim uses yet, so the worker can apply for its subsidy from /me/. The payment
office is left with work: a sent batch to reconcile and an open one to send.

Dates count back from today, so the story is current whenever it runs; each part runs once (it looks
for what it wrote before), so running seed_demo again changes nothing.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from mediation import services as mediation_services
from mediation.choices import OPEN_STATUSES, CaseSource, CommitteeKind, DisputeType
from mediation.models import DisputeCase, MediationCommittee
from portal.models import User
from seed.receipts import receipt_png
from training import services as training_services
from training.choices import ClaimKind, Degree, ProgramType
from training.models import Apprenticeship, Claim, Enrollment, TrainingProgram
from training.services import programs as program_services
from workers import services as worker_services
from workers.choices import SkillLevel
from workers.models import SkillCertificate, Worker

D = datetime.timedelta

BANK_ACCOUNT = ("6222020901000123456", "中国工商银行", "宁波北仑支行")
#: (key, level, occupation, days before today): the worker's recent certificates; "new" is left unclaimed.
CERTIFICATES = (
    ("mill", SkillLevel.INTERMEDIATE, "数控铣工", 200),
    ("electric", SkillLevel.JUNIOR, "电工", 150),
    ("fitter", SkillLevel.JUNIOR, "装配钳工", 120),
    ("new", SkillLevel.SENIOR, "工业机器人系统操作员", 20),
)
#: (key, days before today the fee was paid, fee): terms of a part-time bachelor's degree.
TUITION = (("paid", 400, 4800), ("returned", 220, 4800), ("cancelled", 190, 1200), ("reviewed", 60, 4800),
           ("approved", 35, 600))  # fmt: skip
INSTITUTION, MAJOR = "宁波大学", "机械设计制造及其自动化"


def _users() -> dict[str, User]:
    names = ("worker_zhang", "beilun_clerk", "city_clerk", "pay_sender", "pay_reconciler")
    return {u.username: u for u in User.objects.filter(username__in=names)}


def _bank_account(worker: Worker, users: dict[str, User]) -> bool:
    from selfservice.services import bank_account_change_confirm, bank_account_change_request

    if worker.bank_account:
        return False
    number, bank, branch = BANK_ACCOUNT
    change = bank_account_change_request(
        by=users["worker_zhang"], account=number, bank_name=bank, bank_branch=branch
    )
    bank_account_change_confirm(by=users["beilun_clerk"], change_id=change.pk)
    return True


def _certificates(worker: Worker, today: datetime.date) -> dict[str, SkillCertificate]:
    found = {}
    for key, level, occupation, days in CERTIFICATES:
        number = f"DEMO-{worker.pk:04d}-{key}"
        certificate = SkillCertificate.objects.filter(number=number).first()
        if certificate is None:
            certificate = worker_services.certificate_issue(
                by=None,
                worker_id=worker.pk,
                level=level,
                occupation=occupation,
                number=number,
                issued_on=today - D(days=days),
                issuing_body="宁波市职业技能鉴定指导中心",
            )
        found[key] = certificate
    return found


def _training(worker: Worker, today: datetime.date, users, certificate: SkillCertificate) -> bool:
    """Two enrolments, the first finished (it led to the 中级 certificate), and an apprentice to teach."""
    if Enrollment.objects.filter(worker=worker).exists():
        return False
    clerk = users["beilun_clerk"]
    finished = TrainingProgram.objects.create(
        name="数控铣工（中级工）岗位技能提升培训班（演示）", program_type=ProgramType.SKILL_UPGRADE,
        provider_school="宁波技师学院", district_id=worker.district_id, occupation="数控铣工",
        target_level=SkillLevel.INTERMEDIATE, starts_on=today - D(days=260), ends_on=today - D(days=215), capacity=40,
    )  # fmt: skip
    running = TrainingProgram.objects.create(
        name="数控车工（技师）产教融合研修班（演示）", program_type=ProgramType.INDUSTRY_EDUCATION,
        provider_school="宁波职业技术学院", district_id=worker.district_id, occupation="数控车工",
        target_level=SkillLevel.TECHNICIAN, starts_on=today - D(days=45), ends_on=today + D(days=75), capacity=30,
    )  # fmt: skip
    done = program_services.enrollment_create(
        by=clerk, worker_id=worker.pk, program_id=finished.pk, enrolled_on=today - D(days=258)
    )
    program_services.enrollment_complete(
        by=clerk, enrollment_id=done.pk, completed_on=finished.ends_on, certificate_id=certificate.pk
    )
    program_services.enrollment_create(
        by=clerk, worker_id=worker.pk, program_id=running.pk, enrolled_on=today - D(days=40)
    )
    apprentice = Worker.objects.filter(enterprise_id=worker.enterprise_id, position="学徒").exclude(
        pk=worker.pk
    )
    apprentice = apprentice.order_by("pk").first()
    if apprentice is not None and not Apprenticeship.objects.filter(master=worker).exists():
        program_services.apprenticeship_create(
            by=clerk, master_id=worker.pk, apprentice_id=apprentice.pk, occupation=worker.occupation,
            skill_target=SkillLevel.JUNIOR, starts_on=today - D(days=100), ends_on=today + D(days=265),
        )  # fmt: skip
    return True


def _claims(worker: Worker, today: datetime.date, users, certificates) -> bool:
    """A claim in every state; the payment office left with a sent batch and an open one."""
    if Claim.objects.filter(worker=worker).exists():
        return False
    me, clerk, city = users["worker_zhang"], users["beilun_clerk"], users["city_clerk"]
    sender, reconciler = users["pay_sender"], users["pay_reconciler"]
    claims = {}
    for key, days, fee in TUITION:
        receipt = SimpleUploadedFile(
            f"学费发票-{key}.png", receipt_png(f"demo tuition {key}"), content_type="image/png"
        )
        claims[key] = training_services.claim_submit(
            by=me, worker_id=worker.pk, kind=ClaimKind.TUITION, online=True,
            tuition={"degree": Degree.BACHELOR, "institution": INSTITUTION, "major": MAJOR,
                     "tuition_paid": Decimal(fee), "paid_on": today - D(days=days), "relevant_to_job": True,
                     "receipt": receipt},
        )  # fmt: skip
    for key in ("mill", "electric", "fitter"):
        claims[key] = training_services.claim_submit(
            by=me,
            worker_id=worker.pk,
            kind=ClaimKind.SKILL_SUBSIDY,
            certificate_id=certificates[key].pk,
            online=True,
        )
    # "electric" stays submitted; the rest are reviewed by the district, then decided by the city.
    for key in ("paid", "returned", "cancelled", "reviewed", "approved", "mill"):
        training_services.claim_review(claim_id=claims[key].pk, by=clerk)
    for key in ("paid", "returned", "cancelled", "approved", "mill"):
        training_services.claim_approve(claim_id=claims[key].pk, by=city)
    training_services.claim_reject(
        claim_id=claims["fitter"].pk, by=clerk, reason="证书信息与鉴定机构备案信息不一致，请核对后重新申报"
    )
    training_services.claim_cancel(claim_id=claims["cancelled"].pk, by=city, reason="职工本人申请撤回")

    def batch(keys, note):
        return training_services.batch_create(by=city, claim_ids=[claims[k].pk for k in keys], note=note)

    # Paid and returned: sent by one payment clerk, marked from the bank's answer by the other.
    settled = batch(["paid", "returned"], "演示：已对账批次")
    training_services.batch_disbursement_file(by=sender, batch_id=settled.pk)
    training_services.claims_pay(
        by=reconciler,
        batch_id=settled.pk,
        claim_ids=[claims["paid"].pk],
        bank_reference=f"NB{today:%Y%m%d}0001",
    )
    training_services.claim_return(
        by=reconciler, claim_id=claims["returned"].pk, reason="账户状态异常（冻结）"
    )
    # Work for the payment office: a batch at the bank waiting for its answer, and one to send.
    sent = batch(["mill"], "演示：待对账批次")
    training_services.batch_disbursement_file(by=sender, batch_id=sent.pk)
    batch(["approved"], "演示：待报送批次")
    return True


def _case(worker: Worker, today: datetime.date, users) -> bool:
    """A pay dispute received five days ago, in mediation, ten days left on its clock."""
    if DisputeCase.objects.filter(applicants=worker, status__in=OPEN_STATUSES).exists():
        return False
    committee = (
        MediationCommittee.objects.filter(kind=CommitteeKind.ENTERPRISE, enterprise_id=worker.enterprise_id)
        .order_by("pk")
        .first()
    )
    clerk = users["beilun_clerk"]
    case = mediation_services.case_apply(
        by=clerk, applicant_ids=[worker.pk], dispute_type=DisputeType.PAY, claim="支付两个月延时加班工资差额",
        source=CaseSource.WALK_IN, claimed_amount=Decimal("6800"), received_on=today - D(days=5),
        committee_id=committee.pk if committee else None,
    )  # fmt: skip
    if case.committee_id is None:
        return True
    mediation_services.case_accept(case_id=case.pk, by=clerk, on=today - D(days=4))
    mediation_services.case_start_mediation(case_id=case.pk, by=clerk, on=today - D(days=3))
    return True


def demo_worker_story(today: datetime.date, worker: Worker | None) -> int:
    """The demo worker's records; returns how many parts were written this time (0: all there already)."""
    if worker is None:
        return 0
    users = _users()
    written = _bank_account(worker, users)
    worker.refresh_from_db()
    certificates = _certificates(worker, today)
    parts = [
        written,
        _training(worker, today, users, certificates["mill"]),
        _claims(worker, today, users, certificates),
        _case(worker, today, users),
    ]
    return sum(parts)
