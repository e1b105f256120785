"""The demo's current year: the report's three headline figures, whatever day `make run` runs on.

The synthetic city (seed_city) is dated on a fixed reference day, so that tests and benchmarks stay
comparable; the demo adds on top of it, through the registry's and mediation's services and dated in
the real current year, what makes this year's board read like the report (DOMAIN.md, *seed*):

* about 96% of above-scale enterprises with a union have a mediation committee: the demo's own
  enterprises get one first (they have none in the synthetic city), then others, lowest id first,
  until the share is reached;
* about 32% of skilled workers are high-skill: certificates of this year (the year's training
  passed) bring a small city's sampling noise back to the report's share, 初级 certificates for workers
  without one when the share is too high, 高级 ones for 中级 workers when it is too low;
* about 83% of transferred cases (移交案件) accepted this year are closed by a mediation agreement:
  cases from the arbitration commission and the courts in every district, received between 1 January
  and today, nearly all concluded within the 15-day limit.

Everything is decided by the date and the registry (no random stream): the same city on the same day
gives the same rows. Each part runs once a year (its rows carry the year in their numbers), so running
seed_demo again changes nothing.
"""

from __future__ import annotations

import datetime
import math
from decimal import Decimal

from django.db.models import Max

from mediation import services as mediation_services
from mediation.choices import CaseSource, CaseStatus, CommitteeKind, DisputeType, MemberRole
from mediation.models import DisputeCase, MediationCommittee
from mediation.selectors import committee_exists_on_q, transferred_q
from portal.models import District
from workers import services as worker_services
from workers.choices import SkillLevel
from workers.models import Employment, Enterprise, SkillCertificate, Worker
from workers.skills import valid_on_q

D = datetime.timedelta

# (seed) The report's figures.
COMMITTEE_SHARE = Decimal("0.96")
HIGH_SKILL_SHARE = Decimal("0.32")
HIGH_SKILL_BAND = Decimal("0.005")  # left alone within this of the share
#: Per district, in code order: transferred cases this year and the share closed by agreement (together 83%).
TRANSFERRED_PLAN = ((6, 0.83), (7, 0.86), (5, 0.80), (6, 0.83), (8, 0.875), (6, 0.83), (5, 0.80), (7, 0.857),
                    (6, 0.83), (4, 0.75))  # fmt: skip
ISSUING_BODY = "宁波市职业技能鉴定指导中心"
CASE_CLAIMS = (
    (DisputeType.PAY, "支付拖欠的加班工资", 8600),
    (DisputeType.DISMISSAL, "支付违法解除劳动合同赔偿金", 36000),
    (DisputeType.WORKING_CONDITIONS, "补缴社会保险费", 5200),
    (DisputeType.CONTRACT, "签订书面劳动合同并支付二倍工资差额", 18000),
    (DisputeType.PAY, "支付高温津贴和夜班补贴", 3400),
)


def year_start(today: datetime.date) -> datetime.date:
    return datetime.date(today.year, 1, 1)


# --- Committees ---------------------------------------------------------------------------------------------


def committee_share(day: datetime.date) -> tuple[int, int]:
    """(above-scale enterprises with a union on ``day``, those of them with their own committee then)."""
    firms = Enterprise.objects.filter(above_scale=True, union_established_on__lte=day)
    covered = (
        MediationCommittee.objects.filter(committee_exists_on_q(day), kind=CommitteeKind.ENTERPRISE)
        .filter(enterprise__in=firms)
        .values("enterprise")
        .distinct()
        .count()
    )
    return firms.count(), covered


def demo_committees(today: datetime.date, first: list[int]) -> int:
    """Committees for above-scale union enterprises that lack one (``first`` before the rest) until about
    96% have one; returns how many were established."""
    total, covered = committee_share(today)
    wanted = int((COMMITTEE_SHARE * total).to_integral_value()) - covered
    if wanted <= 0:
        return 0
    lacking = list(
        Enterprise.objects.filter(above_scale=True, union_established_on__lte=today)
        .exclude(
            pk__in=MediationCommittee.objects.filter(
                committee_exists_on_q(today), kind=CommitteeKind.ENTERPRISE
            ).values("enterprise")
        )
        .order_by("pk")
        .values_list("pk", "name", "union_established_on")
    )
    lacking.sort(key=lambda row: (row[0] not in first, first.index(row[0]) if row[0] in first else 0, row[0]))
    for pk, name, union_on in lacking[:wanted]:
        # A year after the union, as most are: the enterprise counts as covered in earlier years too.
        established = min(union_on + D(days=365), today)
        mediation_services.committee_establish(
            by=None,
            kind=CommitteeKind.ENTERPRISE,
            name=f"{name}劳动争议调解委员会",
            established_on=established,
            enterprise_id=pk,
            members=[
                {"name": "工会主席", "role": MemberRole.CHAIR, "union_member": True},
                {"name": "职工代表", "role": MemberRole.WORKER_REPRESENTATIVE, "union_member": True},
                {"name": "企业代表", "role": MemberRole.EMPLOYER_REPRESENTATIVE, "union_member": False},
            ],
        )
    return min(wanted, len(lacking))


# --- Skills -------------------------------------------------------------------------------------------------


def skill_levels_on(day: datetime.date) -> dict[int, int]:
    """Worker id -> highest valid certificate level on ``day``, for workers employed that day."""
    employed = Employment.objects.valid_on(day).values("worker_id")
    return dict(
        SkillCertificate.objects.filter(valid_on_q(day), worker_id__in=employed)
        .order_by()
        .values("worker_id")
        .annotate(best=Max("level"))
        .values_list("worker_id", "best")
    )


def high_skill_share(day: datetime.date) -> tuple[int, int]:
    """(skilled workers, high-skill workers) employed on ``day``, as the indicators count them."""
    levels = skill_levels_on(day).values()
    skilled = sum(1 for level in levels if level >= SkillLevel.JUNIOR)
    return skilled, sum(1 for level in levels if level >= SkillLevel.SENIOR)


def demo_skill_share(today: datetime.date) -> int:
    """This year's certificates that bring the high-skill share of skilled workers to about 32%; returns
    how many were issued."""
    prefix = f"DEMO{today.year}-SK-"
    if SkillCertificate.objects.filter(number__startswith=prefix).exists():
        return 0
    skilled, high = high_skill_share(today)
    if not skilled:
        return 0
    share = Decimal(high) / skilled
    levels = skill_levels_on(today)
    employed = Employment.objects.valid_on(today).order_by("worker_id").values_list("worker_id", flat=True)
    if share > HIGH_SKILL_SHARE + HIGH_SKILL_BAND:
        # More skilled workers: 初级 certificates for employed workers who have none yet.
        count = math.ceil(high / HIGH_SKILL_SHARE) - skilled
        level = SkillLevel.JUNIOR
        candidates = [pk for pk in employed if levels.get(pk, 0) < SkillLevel.JUNIOR]
    elif share < HIGH_SKILL_SHARE - HIGH_SKILL_BAND:
        # More high-skill workers: 高级 certificates for 中级 workers.
        count = math.ceil(HIGH_SKILL_SHARE * skilled) - high
        level = SkillLevel.SENIOR
        candidates = [pk for pk in employed if levels.get(pk) == SkillLevel.INTERMEDIATE]
    else:
        return 0
    count = min(count, len(candidates))
    if count <= 0:
        return 0
    chosen = [candidates[k * len(candidates) // count] for k in range(count)]
    occupations = dict(Worker.objects.filter(pk__in=chosen).values_list("pk", "occupation"))
    span = max((today - year_start(today)).days, 0)
    for k, worker_id in enumerate(chosen):
        worker_services.certificate_issue(
            by=None,
            worker_id=worker_id,
            level=level,
            occupation=occupations[worker_id] or "电工",
            number=f"{prefix}{k + 1:05d}",
            issued_on=year_start(today) + D(days=(k * 37) % (span + 1)),
            issuing_body=ISSUING_BODY,
        )
    return count


# --- Transferred cases ------------------------------------------------------------------------------------


def _district_body(district_id: int, on: datetime.date) -> int | None:
    return (
        MediationCommittee.objects.filter(committee_exists_on_q(on), district_id=district_id)
        .exclude(kind=CommitteeKind.ENTERPRISE)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def _case_dates(today: datetime.date, i: int, n: int, j: int, late: bool) -> tuple[datetime.date, ...]:
    """(received, accepted, started, concluded) of the i-th of n cases of the j-th district: spread over
    1 January to today, concluded within the 15 days (or two days after when ``late``), never after today."""
    first = year_start(today)
    room = max((today - first).days - 18, 0)
    received = first + D(days=int((i + (j % 3 + 1) / 4) / n * room))
    accepted = min(received + D(days=(i + j) % 3), today)
    started = min(accepted + D(days=1), today)
    concluded = min(received + D(days=17 if late else 4 + (i * 5 + j) % 10), today)
    return received, accepted, started, max(concluded, started)


def demo_transferred_cases(today: datetime.date) -> int:
    """Transferred cases of this year in every district, about 83% closed by agreement (with those the
    year already has); returns how many were added."""
    prefix = f"DEMO{today.year}-"
    if DisputeCase.objects.filter(external_reference__startswith=prefix).exists():
        return 0
    added = 0
    first = year_start(today)
    cohort = DisputeCase.objects.filter(transferred_q(), accepted_on__range=(first, today))
    for j, district in enumerate(District.objects.order_by("code")):
        cases, rate = TRANSFERRED_PLAN[j % len(TRANSFERRED_PLAN)]
        had = cohort.filter(district=district).count()
        agreed_had = cohort.filter(district=district, status=CaseStatus.AGREEMENT).count()
        agreements = min(max(round(rate * (had + cases)) - agreed_had, 0), cases)
        firms = list(
            Worker.objects.filter(district=district, left_on__isnull=True)
            .order_by("enterprise_id")
            .values_list("enterprise_id", flat=True)
            .distinct()
        )
        if not firms:
            continue
        for i in range(cases):
            enterprise_id = firms[(i * 7 + j) % len(firms)]
            staff = list(
                Worker.objects.filter(enterprise_id=enterprise_id, left_on__isnull=True)
                .order_by("pk")
                .values_list("pk", flat=True)[:3]
            )
            applicant = staff[i % len(staff)]
            # The cases without agreement spread over the year, so every quarter has its share.
            failures = cases - agreements
            agreed = ((i + j) * failures) // cases == ((i + j + 1) * failures) // cases
            late = agreed and (i + j) % 9 == 8
            received, accepted, started, concluded = _case_dates(today, i, cases, j, late)
            own = (
                MediationCommittee.objects.filter(
                    committee_exists_on_q(accepted),
                    kind=CommitteeKind.ENTERPRISE,
                    enterprise_id=enterprise_id,
                )
                .values_list("pk", flat=True)
                .first()
            )
            committee_id = own or _district_body(district.pk, accepted)
            if committee_id is None:
                continue
            dispute_type, claim, claimed = CASE_CLAIMS[(i + j) % len(CASE_CLAIMS)]
            case = mediation_services.case_apply(
                by=None,
                applicant_ids=[applicant],
                dispute_type=dispute_type,
                claim=claim,
                source=CaseSource.COURT_TRANSFER if (i + j) % 3 == 0 else CaseSource.ARBITRATION_TRANSFER,
                enterprise_id=enterprise_id,
                claimed_amount=Decimal(claimed + 200 * i),
                received_on=received,
                external_reference=f"{prefix}{district.code}-{i + 1:02d}",
            )
            mediation_services.case_accept(case_id=case.pk, by=None, committee_id=committee_id, on=accepted)
            mediation_services.case_start_mediation(case_id=case.pk, by=None, on=started)
            if agreed:
                mediation_services.case_reach_agreement(
                    case_id=case.pk,
                    by=None,
                    agreed_amount=Decimal(claimed + 200 * i) * Decimal("0.8"),
                    terms="双方达成调解协议，企业分期支付约定款项",
                    on=concluded,
                )
            elif i % 2:
                mediation_services.case_withdraw(
                    case_id=case.pk, by=None, reason="双方自行和解，申请人撤回申请", on=concluded
                )
            else:
                mediation_services.case_fail(
                    case_id=case.pk, by=None, reason="双方分歧较大，调解不成", on=concluded
                )
            added += 1
    return added
