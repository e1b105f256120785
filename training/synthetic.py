"""Synthetic training data for seed_city: programs, enrolments, apprenticeships, claims and their payment.

The shape is the newspaper report's, scaled linearly with the registry's workers: for 3,500,000 workers,
810,000 training person-times and 778 million yuan of training subsidies paid (960 yuan a person-time).
The report counts both "since the reform began"; the seed puts them in the reference year up to the
reference date, because that is the period the city dashboard shows for the seed's current year, and it
dates the rows the way indicators/sources.py counts them:

* ``training_person_times`` counts enrolments whose ``enrolled_on`` falls in the period, in their
  ``district``. Exactly round(workers × 810/3500) enrolments fall on days worked between 1 January and
  the reference date, drawn without replacement from all workers' days (so each month gets its share of
  the headcount), each in the district of the employment valid that day: the employment history is read
  back, so someone who changed jobs counts where they worked then.
* ``subsidy_paid`` sums the PAID payments of skill subsidies and apprenticeship stipends whose ``paid_at``
  falls in the period (Ningbo time). Tuition and craftsman awards are other indicators, and a payment the
  bank returned does not count. So the money is paid by batches on the 10th and 25th of the months of the
  window (a few claims are submitted in the last weeks of the year before) and comes to
  round(workers × 778e6/3.5e6) yuan: skill subsidies as the rules in force pay them (1,000-2,000 yuan for
  a 初级-高级 certificate, claimed a few weeks after it is issued, only by workers with a bank account on
  file: under a tenth of the sum), and master-apprentice stipends (the rule's 2,000 yuan each, paid
  after the agreement ends) for the rest, counted after the skill subsidies are known. Keeping amounts to
  the rules makes apprenticeships far more common than in life: about one worker in six is in a pair, and
  the active pairs at the end of the year before outnumber those at the reference date, because the
  agreements whose stipends are paid in the window all end in it.

A quarter or month of the reference year shows its part (the first month a little less, payments lag).
Earlier years show no training flows, the records start with the reference year; apprenticeship
agreements and certificates reach back.

Every claim kind appears in every status with the fields its status implies (four eyes, a city approver
and a city-wide batch above the threshold, at most 3 skill subsidies a year, once per occupation and
level, lower levels claimed before higher ones, a paid claim with exactly one PAID payment, a returned one
with a RETURNED payment and perhaps a new pending one). While a kind lacks a status, its next claim takes
it if the dates allow, so even a small city shows them all. Craftsman awards get claims only where a rule
pays them (Beilun's locally trained 浙江工匠): rare, so a small city may have none. Reviewers and
approvers are synthetic staff accounts ("seed_<district code>_reviewer" …), created once, inactive and
without a usable password; ``--reset`` keeps them.

The step reads the registry back in streams ordered by worker (and once by enterprise, for the pairs),
holds one worker or one enterprise at a time, and writes through the seeder's writer in batches (COPY on
PostgreSQL); courses and batches, a few thousand rows, are written last, when their capacity and status
are known. Its random streams are ``ctx.rng("training.<part>")``.
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.conf import settings
from django.db import connection, models
from django.db.models import ExpressionWrapper, F, Q, Sum, Value
from django.db.models.functions import Coalesce, Greatest, Least

from portal import crypto
from training.choices import (
    CLOSED_WITHOUT_PAYMENT,
    BatchStatus,
    ClaimKind,
    ClaimStatus,
    Degree,
    EnrollmentStatus,
    PaymentStatus,
    ProgramType,
)
from training.models import (
    Apprenticeship,
    Claim,
    Enrollment,
    Payment,
    PaymentBatch,
    SubsidyRule,
    TrainingProgram,
    TuitionDetail,
)
from training.rules import _most_specific, add_months
from workers.choices import Education, SkillLevel

#: Parents first: the seeder empties them in reverse order on --reset.
MODELS = (
    "training.TrainingProgram",
    "training.Enrollment",
    "training.Apprenticeship",
    "training.Claim",
    "training.TuitionDetail",
    "training.PaymentBatch",
    "training.Payment",
)

# (seed) The report: 810,000 person-times and 778 million yuan for 3.5 million industrial workers.
REPORT_WORKERS = 3_500_000
REPORT_PERSON_TIMES = 810_000
REPORT_SUBSIDY_YUAN = 778_000_000

CST = datetime.timezone(datetime.timedelta(hours=8))
CLOSED = tuple(s.value for s in CLOSED_WITHOUT_PAYMENT)

# --- Programs -----------------------------------------------------------------------------------------------
PT = ProgramType
#: Which kind of training a worker of an enterprise that runs its own programs chooses, and anyone else.
PROVIDER_TYPE_WEIGHTS = ((PT.WORK_BASED, 34), (PT.ENTERPRISE_APPRENTICESHIP, 12), (PT.SKILL_UPGRADE, 30),
                         (PT.INDUSTRY_EDUCATION, 10), (PT.MODERN_APPRENTICESHIP, 6), (PT.COMPETITION, 8))  # fmt: skip
SCHOOL_TYPE_WEIGHTS = ((PT.SKILL_UPGRADE, 55), (PT.INDUSTRY_EDUCATION, 20), (PT.MODERN_APPRENTICESHIP, 10),
                       (PT.COMPETITION, 15))  # fmt: skip
#: Run by employers only (以工代训, 企业新型学徒制); the rest by schools, and skill upgrades by both.
ENTERPRISE_TYPES = (PT.WORK_BASED, PT.ENTERPRISE_APPRENTICESHIP)
#: Shortest and longest course (days), days between intakes (at most the shortest course, so some course
#: always takes people in), and the class a track of courses is planned for.
PROGRAM_SHAPE = {
    PT.SKILL_UPGRADE: (30, 90, 30, 40),
    PT.WORK_BASED: (120, 240, 120, 60),
    PT.ENTERPRISE_APPRENTICESHIP: (365, 730, 180, 25),
    PT.MODERN_APPRENTICESHIP: (730, 1095, 180, 30),
    PT.INDUSTRY_EDUCATION: (60, 180, 60, 40),
    PT.COMPETITION: (30, 45, 30, 20),
}
TARGET_LEVELS = {
    PT.SKILL_UPGRADE: ((SkillLevel.JUNIOR, 40), (SkillLevel.INTERMEDIATE, 35), (SkillLevel.SENIOR, 25)),
    PT.WORK_BASED: ((None, 50), (SkillLevel.JUNIOR, 50)),
    PT.ENTERPRISE_APPRENTICESHIP: ((SkillLevel.JUNIOR, 50), (SkillLevel.INTERMEDIATE, 50)),
    PT.MODERN_APPRENTICESHIP: ((SkillLevel.JUNIOR, 60), (SkillLevel.INTERMEDIATE, 40)),
    PT.INDUSTRY_EDUCATION: ((None, 40), (SkillLevel.INTERMEDIATE, 40), (SkillLevel.SENIOR, 20)),
    PT.COMPETITION: ((SkillLevel.SENIOR, 60), (SkillLevel.TECHNICIAN, 40)),
}
WORKERS_PER_PROVIDER = 2_000  # current workers of a district per enterprise that runs its own programs
PROVIDER_SKILL_UPGRADE_SHARE = 0.5
SCHOOLS = {
    PT.SKILL_UPGRADE: ("宁波技师学院", "{district}职业技能培训中心", "{district}总工会职工学校"),
    PT.MODERN_APPRENTICESHIP: (
        "宁波职业技术学院",
        "浙江工商职业技术学院",
        "宁波城市职业技术学院",
        "{district}职业教育中心学校",
    ),
    PT.INDUSTRY_EDUCATION: ("宁波职业技术学院", "宁波工程学院", "浙江万里学院", "浙江工商职业技术学院"),
    PT.COMPETITION: ("宁波技师学院", "{district}总工会职工学校"),
}
PROGRAM_NAMES = {
    PT.SKILL_UPGRADE: "{subject}岗位技能提升培训班（{year}年第{n}期）",
    PT.WORK_BASED: "以工代训·{subject}（{year}年第{n}批）",
    PT.ENTERPRISE_APPRENTICESHIP: "企业新型学徒制·{subject}（{year}级第{n}班）",
    PT.MODERN_APPRENTICESHIP: "现代学徒制·{subject}（{year}级第{n}班）",
    PT.INDUSTRY_EDUCATION: "产教融合课程·{subject}（{year}年第{n}期）",
    PT.COMPETITION: "{subject}职业技能竞赛集训（{year}年第{n}期）",
}
LEVEL_NAMES = {1: "学徒工", 2: "初级工", 3: "中级工", 4: "高级工", 5: "技师", 6: "高级技师", 7: "特级技师",
               8: "首席技师"}  # fmt: skip
DROPPED_SHARE_FINISHED = 0.12
DROPPED_SHARE_RUNNING = 0.05
CERTIFICATE_LINK_SHARE = 0.8  # of completed enrolments followed by a certificate of that worker
OPEN_CAPACITY_SHARE = 0.25  # courses without a capacity

# --- Claims ---------------------------------------------------------------------------------------------------
CS = ClaimStatus
STATUS_WEIGHTS = ((CS.PAID, 74), (CS.RETURNED, 3), (CS.APPROVED, 5), (CS.REVIEWED, 4), (CS.SUBMITTED, 5),
                  (CS.REJECTED, 7), (CS.CANCELLED, 2))  # fmt: skip
FALLBACK_WEIGHTS = ((CS.PAID, 74), (CS.SUBMITTED, 30), (CS.REVIEWED, 25), (CS.APPROVED, 25), (CS.REJECTED, 7),
                    (CS.RETURNED, 3), (CS.CANCELLED, 2))  # fmt: skip
#: Statuses tried first while a kind has not shown them yet, so a small city has every kind in every status.
COVERAGE_ORDER = (CS.RETURNED, CS.CANCELLED, CS.REJECTED, CS.APPROVED, CS.REVIEWED, CS.SUBMITTED, CS.PAID)
#: Claims submitted in the last weeks of the year before are paid in the reference year's first batches.
EARLY_CLAIM_DAYS = 21
SKILL_TAKE_UP = 0.92  # of certificates a subsidy rule covers, when the worker can be paid
SKILL_CLAIM_DELAY_DAYS = 45  # mean days from the certificate to the claim
RESUBMIT_SHARE = 0.3  # after a rejection or cancellation
REPAID_SHARE = 0.015  # paid claims the bank returned once before a later batch paid them
ONLINE_SHARE = 0.4  # submitted by the worker online; the rest at a union counter
TUITION_SHARE = 0.03  # of workers with a bank account and a degree to go for, in the window
TUITION_CLAIM_DELAY_DAYS = 30  # mean days from paying the fee to the claim
TUITION_NEXT = {
    Education.SENIOR_SECONDARY: Degree.COLLEGE,
    Education.VOCATIONAL: Degree.COLLEGE,
    Education.COLLEGE: Degree.BACHELOR,
    Education.BACHELOR: Degree.MASTER,
}
TUITION_RANGE = {Degree.COLLEGE: (32, 60), Degree.BACHELOR: (45, 90), Degree.MASTER: (160, 360)}  # hundreds
INSTITUTIONS = {
    Degree.COLLEGE: ("宁波职业技术学院", "浙江工商职业技术学院", "宁波城市职业技术学院", "宁波开放大学"),
    Degree.BACHELOR: ("宁波大学", "宁波工程学院", "浙江万里学院", "宁波开放大学"),
    Degree.MASTER: ("宁波大学", "宁波工程学院"),
}
MAJORS = ("机电一体化技术", "数控技术", "模具设计与制造", "电气自动化技术", "工业机器人技术",
          "机械设计制造及其自动化", "材料成型及控制工程", "质量管理工程")  # fmt: skip
REJECT_REASONS = {
    ClaimKind.SKILL_SUBSIDY: ("证书信息与鉴定机构备案信息不一致", "申报材料不全，请补齐后重新申报"),
    ClaimKind.APPRENTICESHIP_STIPEND: ("带教记录不完整，请补充带教台账", "学徒考核结果未达到协议约定"),
    ClaimKind.TUITION: ("学费票据不全，请补充发票", "所学专业与岗位关联性不足"),
    ClaimKind.CRAFTSMAN_AWARD: ("未提供本土培养证明材料", "申报材料不全，请补齐后重新申报"),
}
CANCEL_REASONS = ("职工本人申请撤回", "复核发现重复申报，撤销审批")
RETURN_REASONS = ("户名与账号不符", "账户已销户", "账户状态异常（冻结）", "账号不存在")
# Minutes after midnight: submitted in the morning, reviewed and approved in the afternoon, paid at five.
SUBMIT_MINUTES, REVIEW_MINUTES, APPROVE_MINUTES = (510, 690), (810, 899), (900, 989)
PAY_MINUTE, CLOSE_MINUTE, RETURN_MINUTE = 1020, 1050, 600

# --- Apprenticeships ---------------------------------------------------------------------------------------
MASTER_MIN_LEVEL = SkillLevel.INTERMEDIATE
MASTER_MIN_AGE = 28
APPRENTICE_MAX_LEVEL = SkillLevel.JUNIOR
APPRENTICE_MAX_AGE = 45
MIN_AGREEMENT_DAYS, MAX_AGREEMENT_DAYS = 180, 730
STIPEND_SETTLE_DAYS = 30  # a paid stipend's agreement ended at least this long before the reference date
STIPEND_CLAIM_DAYS = 30  # masters claim within this many days of the agreement's end
STIPEND_EARLY_ENDS = 25  # agreements that ended this many days before the year are paid in it
#: Pairs besides those whose stipend is paid in the window, per paid one: still running, claimed but not
#: (yet) paid, ended without a claim yet, terminated early.
OTHER_PAIRS_PER_PAID = 0.7
OTHER_FATES = (("active", 45), ("claimed", 25), ("unclaimed", 15), ("terminated", 15))
MIN_PAIR_SHARE = 0.02  # pairs per current worker when no stipend is wanted (no rule in force)


# --- Small helpers -------------------------------------------------------------------------------------------


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _between(rng: random.Random, low: int, high: int) -> int:
    return low + int(rng.random() * (high - low + 1))


def _at(day: int, minute: int) -> datetime.datetime:
    return datetime.datetime.combine(
        datetime.date.fromordinal(day), datetime.time(minute // 60, minute % 60), tzinfo=CST
    )


def _date(day: int | None) -> datetime.date | None:
    return None if day is None else datetime.date.fromordinal(day)


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _value(choice) -> str:
    return choice.value if hasattr(choice, "value") else choice


def _rows(sql: str, params: Sequence, size: int) -> Iterator[tuple]:
    """A query's rows, fetched in chunks through a server-side cursor on PostgreSQL (memory stays flat)."""
    cursor = connection.chunked_cursor()
    try:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(size):
            yield from chunk
    finally:
        cursor.close()


def _scalar(sql: str, params: Sequence = ()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


class _ByWorker:
    """Rows ordered by worker id (their first column), handed out one worker at a time: a merge join."""

    def __init__(self, rows: Iterator[tuple]) -> None:
        self.rows = rows
        self.head = next(rows, None)

    def take(self, worker_id: int) -> list[tuple]:
        taken = []
        while self.head is not None and self.head[0] <= worker_id:
            if self.head[0] == worker_id:
                taken.append(self.head)
            self.head = next(self.rows, None)
        return taken

    def close(self) -> None:
        self.rows.close()


class _Ids:
    """Primary keys reserved from the writer in blocks, so children can name parents written later."""

    def __init__(self, writer, model: type[models.Model], block: int) -> None:
        self.writer, self.model, self.block = writer, model, max(block, 1)
        self.next_id = self.end = 0

    def take(self) -> int:
        if self.next_id >= self.end:
            self.next_id = self.writer.reserve_ids(self.model, self.block)
            self.end = self.next_id + self.block
        self.next_id += 1
        return self.next_id - 1


class _Out:
    """Rows per model, written in batches, parents first."""

    ORDER = (Apprenticeship, Claim, TuitionDetail, Payment, Enrollment)

    def __init__(self, writer, batch_size: int, stats: Counter) -> None:
        self.writer, self.batch_size, self.stats = writer, batch_size, stats
        self.rows: dict[type[models.Model], list[tuple]] = defaultdict(list)
        self.fields: dict[type[models.Model], tuple[str, ...]] = {}

    def add(self, model, fields: tuple[str, ...], row: tuple) -> None:
        self.fields[model] = fields
        rows = self.rows[model]
        rows.append(row)
        if len(rows) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        for model in self.ORDER:
            rows = self.rows.get(model)
            if rows:
                self.writer.write(model, self.fields[model], rows)
                rows.clear()


class _Rules:
    """The subsidy rules, loaded once, chosen exactly as training.rules chooses them (the same ordering
    and the same "most specific wins"), by the day that decides."""

    def __init__(self) -> None:
        self.rules = list(SubsidyRule.objects.all())  # the model's ordering, as rules_in_force has it
        self.cache: dict[tuple, SubsidyRule | None] = {}

    def pick(self, kind: str, day: datetime.date, *, level=None, **wanted) -> SubsidyRule | None:
        key = (kind, day, level, tuple(sorted(wanted.items())))
        if key not in self.cache:
            candidates = [
                r
                for r in self.rules
                if r.kind == kind
                and r.valid_from <= day
                and (r.valid_to is None or r.valid_to >= day)
                and (level is None or r.level == level)
            ]
            self.cache[key] = _most_specific(candidates, **wanted)
        return self.cache[key]


@dataclass
class _Payee:
    worker_id: int
    district_id: int
    name: str
    token: bytes

    @cached_property
    def account(self) -> str:
        return crypto.decrypt(self.token)


@dataclass(frozen=True)
class _Outcome:
    status: str
    submitted: int  # day ordinal
    last: int  # the day of the last step taken


# --- Programs -----------------------------------------------------------------------------------------------


@dataclass
class _Track:
    """Courses of one kind, one provider and one subject, one intake after another: the course a worker
    joins on a day is the latest that started by then, and it runs past that day."""

    program_type: str
    district_id: int
    enterprise_id: int | None
    school: str
    occupation: str
    target_level: int | None
    first_start: int
    step: int
    length: int
    count: int
    first_id: int = 0

    def program(self, day: int) -> tuple[int, int, int]:
        """(program id, start, end) of the course joined on `day` (first_start <= day <= the reference date)."""
        k = (day - self.first_start) // self.step
        start = self.first_start + k * self.step
        return self.first_id + k, start, start + self.length


PROGRAM_FIELDS = ("id", "name", "program_type", "provider_enterprise_id", "provider_school", "district_id",
                  "occupation", "target_level", "starts_on", "ends_on", "capacity")  # fmt: skip
ENROLLMENT_FIELDS = ("worker_id", "program_id", "district_id", "enrolled_on", "status", "completed_on",
                     "certificate_id")  # fmt: skip


class _Programs:
    def __init__(self, seed: TrainingSeed, rng: random.Random) -> None:
        from workers.synthetic import OCCUPATIONS

        self.seed = seed
        self.occupations, self.occupation_weights = zip(*OCCUPATIONS, strict=True)
        self.tracks: list[_Track] = []
        self.by_district: dict[tuple[int, str], list[_Track]] = {}
        self.by_enterprise: dict[int, dict[str, _Track]] = {}
        self.kept = Counter()  # program id -> enrolments not dropped
        self._plan(rng)

    def _track(self, rng, program_type, district_id, *, enterprise_id=None, school="") -> _Track:
        shortest, longest, step, _class = PROGRAM_SHAPE[program_type]
        first_start = self.seed.year_start - int(rng.random() * step)
        track = _Track(
            program_type=program_type.value,
            district_id=district_id,
            enterprise_id=enterprise_id,
            school=school,
            occupation=rng.choices(self.occupations, weights=self.occupation_weights)[0],
            target_level=_weighted(rng, TARGET_LEVELS[program_type]),
            first_start=first_start,
            step=step,
            length=_between(rng, shortest, longest),
            count=(self.seed.as_of - first_start) // step + 1,
        )
        self.tracks.append(track)
        return track

    def _plan(self, rng: random.Random) -> None:
        seed = self.seed
        school_total = sum(w for _, w in SCHOOL_TYPE_WEIGHTS)
        city_workers = max(sum(seed.current_workers.values()), 1)
        for district_id, name in seed.district_names.items():
            current = seed.current_workers.get(district_id, 0)
            expected = seed.enrolments_wanted * current / city_workers
            for program_type, weight in SCHOOL_TYPE_WEIGHTS:
                _shortest, _longest, step, size = PROGRAM_SHAPE[program_type]
                intakes = (seed.as_of - seed.year_start) // step + 1
                n = max(1, round(expected * weight / school_total / (size * intakes)))
                schools = SCHOOLS[program_type]
                self.by_district[(district_id, program_type.value)] = [
                    self._track(
                        rng, program_type, district_id, school=rng.choice(schools).format(district=name)
                    )
                    for _ in range(n)
                ]
            providers = seed.providers.get(district_id, ())
            for enterprise_id in providers:
                own = {}
                for program_type in ENTERPRISE_TYPES:
                    own[program_type.value] = self._track(
                        rng, program_type, district_id, enterprise_id=enterprise_id
                    )
                if rng.random() < PROVIDER_SKILL_UPGRADE_SHARE:
                    own[PT.SKILL_UPGRADE.value] = self._track(
                        rng, PT.SKILL_UPGRADE, district_id, enterprise_id=enterprise_id
                    )
                self.by_enterprise[enterprise_id] = own
        first_id = seed.writer.reserve_ids(TrainingProgram, sum(t.count for t in self.tracks))
        for track in self.tracks:
            track.first_id = first_id
            first_id += track.count

    def track_for(self, rng: random.Random, district_id: int, enterprise_id: int) -> _Track:
        own = self.by_enterprise.get(enterprise_id)
        if own:
            program_type = _weighted(rng, PROVIDER_TYPE_WEIGHTS)
            if program_type.value in own and (
                program_type in ENTERPRISE_TYPES or rng.random() < PROVIDER_SKILL_UPGRADE_SHARE
            ):
                return own[program_type.value]
            if program_type in ENTERPRISE_TYPES:
                program_type = PT.SKILL_UPGRADE
        else:
            program_type = _weighted(rng, SCHOOL_TYPE_WEIGHTS)
        tracks = self.by_district[(district_id, program_type.value)]
        return tracks[int(rng.random() * len(tracks))]

    def write(self, rng: random.Random) -> None:
        """The courses, last: their capacity follows the enrolments they got."""
        serials: Counter = Counter()
        rows = []
        for track in self.tracks:
            subject = track.occupation
            if track.target_level:
                subject += f"（{LEVEL_NAMES[track.target_level]}）"
            for k in range(track.count):
                start = track.first_start + k * track.step
                program_id = track.first_id + k
                year = datetime.date.fromordinal(start).year
                serials[(track.district_id, track.program_type, year)] += 1
                name = PROGRAM_NAMES[ProgramType(track.program_type)].format(
                    subject=subject, year=year, n=serials[(track.district_id, track.program_type, year)]
                )
                kept = self.kept[program_id]
                capacity = None
                if rng.random() >= OPEN_CAPACITY_SHARE:
                    capacity = max(10, -(-int(kept * (1.1 + 0.3 * rng.random())) // 5) * 5)
                rows.append((
                    program_id, name, track.program_type, track.enterprise_id, track.school, track.district_id,
                    track.occupation, track.target_level, _date(start), _date(start + track.length), capacity,
                ))  # fmt: skip
                if len(rows) >= self.seed.batch_size:
                    self.seed.writer.write(TrainingProgram, PROGRAM_FIELDS, rows)
                    rows.clear()
        self.seed.writer.write(TrainingProgram, PROGRAM_FIELDS, rows)
        self.seed.stats["training_programs"] += sum(t.count for t in self.tracks)


# --- Claims and their payment -------------------------------------------------------------------------------

CLAIM_FIELDS = (
    "id", "kind", "status", "worker_id", "district_id", "amount", "rule_id", "reference_date", "certificate_id",
    "subsidy_occupation", "subsidy_level", "apprenticeship_id", "award_id", "submitted_at", "submitted_by_id", "submitted_online", "reviewed_at", "reviewed_by_id", "approved_at",
    "approved_by_id", "paid_at", "closed_reason", "note",
)  # fmt: skip
TUITION_FIELDS = ("claim_id", "degree", "institution", "major", "tuition_paid", "paid_on", "relevant_to_job",
                  "receipt", "receipt_name")  # fmt: skip
# The account an attempt went to is the worker's (plain here: the writer encrypts and hashes it).
PAYMENT_FIELDS = ("batch_id", "claim_id", "amount", "status", "paid_at", "returned_at", "return_reason",
                  "bank_reference", "payee_name", "payee_account", "account_reconfirmed_at",
                  "account_reconfirmed_by_id", "account_reconfirm_reason")  # fmt: skip
#: Why a clerk let a returned claim go to the same account again (the worker's account did not change).
RECONFIRM_REASON = "已电话核实账户可正常入账"
BATCH_FIELDS = (
    "id",
    "district_id",
    "status",
    "created_at",
    "created_by_id",
    "sent_at",
    "sent_by_id",
    "reconciled_at",
    "closed_at",
    "note",
)


@dataclass
class _Staff:
    """Synthetic union staff: per district a clerk (submits at the counter), a reviewer and an approver;
    for the city an approver (amounts above the threshold) and a payment clerk (city-wide batches)."""

    clerk: dict[int, int]
    reviewer: dict[int, int]
    approver: dict[int, int]
    city_approver: int
    city_payments: int

    @classmethod
    def ensure(cls, district_names: dict[int, str], codes: dict[int, str]) -> _Staff:
        from portal.choices import Role
        from portal.models import User

        def account(username: str, role: str, district_id: int | None, label: str) -> int:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(
                    username=username, role=role, district_id=district_id, first_name=label, is_active=False
                )
                user.set_unusable_password()
                user.save()
            return user.pk

        staff = cls({}, {}, {}, 0, 0)
        for district_id, name in district_names.items():
            code = codes[district_id]
            for role_name, label, target in (
                ("clerk", "经办", staff.clerk),
                ("reviewer", "审核", staff.reviewer),
                ("approver", "审批", staff.approver),
            ):
                target[district_id] = account(
                    f"seed_{code}_{role_name}",
                    Role.DISTRICT_STAFF,
                    district_id,
                    f"{name}总工会{label}（合成）",
                )
        staff.city_approver = account("seed_city_approver", Role.CITY_STAFF, None, "市总工会审批（合成）")
        staff.city_payments = account("seed_city_payments", Role.CITY_STAFF, None, "市总工会资金发放（合成）")
        return staff


class _Claims:
    """Claims with the dates, people, payments and batches their status implies."""

    def __init__(self, seed: TrainingSeed, rng: random.Random, out: _Out) -> None:
        self.seed, self.rng, self.out = seed, rng, out
        self.ids = _Ids(seed.writer, Claim, seed.batch_size)
        self.batch_ids = _Ids(seed.writer, PaymentBatch, 64)
        self.batches: dict[tuple, int] = {}  # (district or None, "closed" / "sent" / "open", day) -> id
        self.pay_days = seed.pay_days
        self.covered: dict[str, set[str]] = defaultdict(set)
        self.paid_in_window: Counter = Counter()  # kind -> yuan paid in the window
        self.threshold = Decimal(settings.CLAIM_CITY_APPROVAL_THRESHOLD)
        self.bank_serial = 0

    def complete(self, kind: str) -> bool:
        return len(self.covered[kind]) == len(ClaimStatus.values)

    # Dates ------------------------------------------------------------------------------------------------

    def _dates(self, status: str, a: int, b: int) -> dict | None:
        """Day ordinals of a claim's steps, submitted within [a, b]; None if the status cannot fit."""
        rng, as_of, days = self.rng, self.seed.as_of, self.pay_days
        b = min(b, as_of)
        if a > b:
            return None
        if status in (CS.PAID, CS.RETURNED):
            # Paid in the first batch after approval; a batch is made two days before its pay day, so the
            # claim is approved at least three days before. A returned payment needs days for the return.
            usable = bisect.bisect_right(days, as_of - 12 if status == CS.RETURNED else as_of)
            if not usable:
                return None
            last_pay = days[usable - 1]
            high = min(b, last_pay - 3)
            if a > high:
                return None
            submitted = _between(rng, a, high)
            reviewed = submitted + _between(rng, 0, min(10, high - submitted))
            approved = reviewed + _between(rng, 0, min(7, high - reviewed))
            paid = days[bisect.bisect_left(days, approved + 3)]
            out = {"s": submitted, "r": reviewed, "ap": approved, "p": paid}
            if status == CS.RETURNED:
                out["q"] = paid + _between(rng, 2, min(10, as_of - 1 - paid))
                out["rebatch"] = out["q"] <= as_of - 4 and rng.random() < 0.3
            elif rng.random() < REPAID_SHARE:
                later = days[bisect.bisect_right(days, paid + 7) :]
                if later:
                    again = later[int(rng.random() * min(len(later), 3))]
                    out.update(first=paid, q=paid + _between(rng, 2, again - paid - 3), p=again)
            return out
        if status == CS.APPROVED:
            low, high = max(a, as_of - 40), min(b, as_of - 1)
            if low > high:
                return None
            submitted = _between(rng, low, high)
            reviewed = submitted + _between(rng, 0, min(7, as_of - 1 - submitted))
            approved = reviewed + _between(rng, 0, min(7, as_of - 1 - reviewed))
            draw, batch = rng.random(), None
            if approved <= as_of - 4 and draw < 0.4:
                batch = "sent"
            elif draw < 0.65:
                batch = "open"
            return {"s": submitted, "r": reviewed, "ap": approved, "batch": batch}
        if status == CS.REVIEWED:
            low = max(a, as_of - 25)
            if low > b:
                return None
            submitted = _between(rng, low, b)
            return {"s": submitted, "r": submitted + _between(rng, 0, min(10, as_of - submitted))}
        if status == CS.SUBMITTED:
            low = max(a, as_of - 14)
            return None if low > b else {"s": _between(rng, low, b)}
        if status == CS.REJECTED:
            submitted = _between(rng, a, b)
            decided = submitted + _between(rng, 0, min(20, as_of - submitted))
            return {"s": submitted, "r": decided if rng.random() < 0.5 else None, "last": decided}
        # Cancelled: approved, then withdrawn before any batch took it.
        submitted = _between(rng, a, b)
        reviewed = submitted + _between(rng, 0, min(10, as_of - submitted))
        approved = reviewed + _between(rng, 0, min(7, as_of - reviewed))
        return {
            "s": submitted,
            "r": reviewed,
            "ap": approved,
            "last": approved + _between(rng, 0, min(10, as_of - approved)),
        }

    def _choose(self, kind: str, a: int, b: int, stretch: int, status, exclude) -> tuple[str, dict] | None:
        if status is not None:
            order = [status]
        else:
            allowed = [(s, w) for s, w in STATUS_WEIGHTS if s not in exclude]
            missing = [s for s in COVERAGE_ORDER if s not in self.covered[kind] and s not in exclude]
            # A status the kind still lacks may take the claim later than usual, up to `stretch`.
            for candidate in missing:
                dates = self._dates(candidate, a, b) or self._dates(candidate, a, max(b, stretch))
                if dates is not None:
                    return _value(candidate), dates
            order = [_weighted(self.rng, allowed)]
        for candidate in order:
            dates = self._dates(candidate, a, b)
            if dates is not None:
                return _value(candidate), dates
        if status is not None:
            return None
        # What the dates allow instead: too recent to be paid is mostly still pending, too old to be
        # pending mostly paid.
        rest = [(s, w) for s, w in FALLBACK_WEIGHTS if s not in exclude and s not in order]
        while rest:
            candidate = _weighted(self.rng, rest)
            dates = self._dates(candidate, a, b)
            if dates is not None:
                return _value(candidate), dates
            rest = [(s, w) for s, w in rest if s != candidate]
        return None

    # Batches ------------------------------------------------------------------------------------------------

    def _batch(self, district_id: int | None, kind: str, day: int = 0) -> int:
        key = (district_id, kind, day)
        if key not in self.batches:
            self.batches[key] = self.batch_ids.take()
        return self.batches[key]

    def write_batches(self, staff: _Staff) -> None:
        from workers.synthetic import DjangoWriter

        as_of, rows, created = self.seed.as_of, [], {}
        # The last pay day's batches are reconciled but not yet closed.
        last_settled = max((day for (_d, kind, day) in self.batches if kind == "closed"), default=None)
        for (district_id, kind, day), batch_id in sorted(self.batches.items(), key=lambda item: item[1]):
            by = staff.city_payments if district_id is None else staff.clerk[district_id]
            # The city's payment staff send every batch (and someone else reconciles it).
            sender = staff.city_payments
            if kind == "closed" and day == last_settled:
                row = (batch_id, district_id, BatchStatus.RECONCILED.value, _at(day - 2, 540), by,
                       _at(day - 1, 600), sender, _at(day, CLOSE_MINUTE), None, "")  # fmt: skip
            elif kind == "closed":
                row = (batch_id, district_id, BatchStatus.CLOSED.value, _at(day - 2, 540), by, _at(day - 1, 600),
                       sender, _at(day, CLOSE_MINUTE), _at(day, CLOSE_MINUTE), "")  # fmt: skip
            elif kind == "sent":
                row = (batch_id, district_id, BatchStatus.SENT.value, _at(as_of - 3, 540), by,
                       _at(as_of - 2, 600), sender, None, None, "")  # fmt: skip
            else:
                row = (batch_id, district_id, BatchStatus.OPEN.value, _at(as_of, 540), by, None, None, None, None,
                       "")  # fmt: skip
            rows.append(row)
            created[batch_id] = row[3]
        self.seed.writer.write(PaymentBatch, BATCH_FIELDS, rows)
        if isinstance(self.seed.writer, DjangoWriter):
            # bulk_create stamps auto_now_add with the real time; a batch must predate its payments.
            for batch_id, moment in created.items():
                PaymentBatch.objects.filter(pk=batch_id).update(created_at=moment)
        self.seed.stats["training_batches"] += len(rows)

    def _bank_reference(self, day: int) -> str:
        self.bank_serial += 1
        return f"NB{datetime.date.fromordinal(day):%Y%m%d}{self.bank_serial:08d}"

    # One claim ------------------------------------------------------------------------------------------------

    def add(
        self,
        *,
        kind: str,
        payee: _Payee,
        rule: SubsidyRule,
        amount: Decimal,
        reference_date: datetime.date,
        window: tuple[int, int],
        stretch: int = 0,
        status=None,
        exclude: tuple = (),
        certificate_id: int | None = None,
        occupation: str = "",
        level: int | None = None,
        apprenticeship_id: int | None = None,
        award_id: int | None = None,
        tuition: tuple | None = None,
    ) -> _Outcome | None:
        chosen = self._choose(kind, window[0], window[1], stretch, status, exclude)
        if chosen is None:
            return None
        status, d = chosen
        rng, staff = self.rng, self.seed.staff
        claim_id = self.ids.take()
        district_id = payee.district_id
        online = rng.random() < ONLINE_SHARE
        submitter = None if online else staff.clerk[district_id]
        reviewer = (
            rng.choice((staff.clerk[district_id], staff.reviewer[district_id]))
            if online
            else staff.reviewer[district_id]
        )
        approver = staff.city_approver if amount > self.threshold else staff.approver[district_id]
        reviewed, approved = d.get("r"), d.get("ap")
        reason = ""
        if status == CS.REJECTED:
            reason = rng.choice(REJECT_REASONS[ClaimKind(kind)])
        elif status == CS.CANCELLED:
            reason = rng.choice(CANCEL_REASONS)
        elif "q" in d:
            reason = rng.choice(RETURN_REASONS)
        self.out.add(Claim, CLAIM_FIELDS, (
            claim_id, kind, status, payee.worker_id, district_id, amount, rule.pk, reference_date, certificate_id,
            occupation, level, apprenticeship_id, award_id,
            _at(d["s"], _between(rng, *SUBMIT_MINUTES)), submitter, online,
            _at(reviewed, _between(rng, *REVIEW_MINUTES)) if reviewed is not None else None,
            reviewer if reviewed is not None else None,
            _at(approved, _between(rng, *APPROVE_MINUTES)) if approved is not None else None,
            approver if approved is not None else None,
            _at(d["p"], PAY_MINUTE) if status == CS.PAID else None, reason, "",
        ))  # fmt: skip
        if tuition is not None:
            self.out.add(TuitionDetail, TUITION_FIELDS, (claim_id, *tuition, True, "", ""))
        # Money goes through city-wide batches when the city approved it, else through the district's.
        batch_district = None if approver == staff.city_approver else district_id
        if "p" in d:
            first = d.get("first", d["p"])
            if status == CS.RETURNED or "first" in d:
                # Sent again to the same account: only after a clerk confirmed it again (the account did not change).
                again = "first" in d or d.get("rebatch")
                self.out.add(Payment, PAYMENT_FIELDS, (
                    self._batch(batch_district, "closed", first), claim_id, amount, PaymentStatus.RETURNED.value,
                    _at(first, PAY_MINUTE), _at(d["q"], RETURN_MINUTE), reason, self._bank_reference(first),
                    payee.name, payee.account, _at(d["q"], RETURN_MINUTE + 60) if again else None,
                    staff.clerk[district_id] if again else None, RECONFIRM_REASON if again else "",
                ))  # fmt: skip
            if status == CS.PAID:
                self.out.add(Payment, PAYMENT_FIELDS, (
                    self._batch(batch_district, "closed", d["p"]), claim_id, amount, PaymentStatus.PAID.value,
                    _at(d["p"], PAY_MINUTE), None, "", self._bank_reference(d["p"]), payee.name, payee.account,
                    None, None, "",
                ))  # fmt: skip
                self.paid_in_window[kind] += amount
        if d.get("rebatch"):
            d["batch"] = "sent"
        if d.get("batch"):
            # The account is taken when a batch is sent; an open batch's payments have none yet.
            sent = d["batch"] == "sent"
            self.out.add(Payment, PAYMENT_FIELDS, (
                self._batch(batch_district, d["batch"]), claim_id, amount, PaymentStatus.PENDING.value,
                None, None, "", "", payee.name if sent else "", payee.account if sent else None, None, None, "",
            ))  # fmt: skip
        self.covered[kind].add(status)
        self.seed.stats[f"training_claims_{kind}_{status}"] += 1
        last = max(v for k, v in d.items() if k in ("s", "r", "ap", "p", "q", "last") and v is not None)
        return _Outcome(status, d["s"], last)


# --- The seed ---------------------------------------------------------------------------------------------------


@dataclass
class TrainingSeed:
    """What the generator needs: the window, the registry's size and shape, the writer and the rules."""

    writer: object
    as_of: int  # ordinals
    year_start: int
    batch_size: int
    district_names: dict[int, str]
    district_codes: dict[int, str]
    workers: int  # in the registry, leavers included: the report's denominator
    current_workers: dict[int, int]  # district -> workers employed on the reference date
    providers: dict[int, list[int]]  # district -> enterprises that run their own programs
    employed_days: int  # days worked in the window, all workers together
    enrolments_wanted: int
    subsidy_wanted: Decimal
    pay_days: list[int]
    stats: Counter = field(default_factory=Counter)
    staff: _Staff | None = None


def _pay_days(year_start: int, as_of: int) -> list[int]:
    """Batches are paid on the 10th and the 25th of each month (the Friday before, at a weekend)."""
    days = []
    first = datetime.date.fromordinal(year_start)
    last = datetime.date.fromordinal(as_of)
    for month in range(first.month, last.month + 1):
        for day in (10, 25):
            date = datetime.date(first.year, month, day)
            date -= datetime.timedelta(days=max(date.weekday() - 4, 0))
            if year_start <= date.toordinal() <= as_of - 1:
                days.append(date.toordinal())
    return days


# A spell that covers at least one day of [year start, reference date]; employed on d: started_on <= d < ended_on.
SPELL_IN_WINDOW = "started_on <= %s AND (ended_on IS NULL OR (ended_on > %s AND ended_on > started_on))"


def _tables() -> dict[str, str]:
    from workers.models import CraftsmanAward, Employment, SkillCertificate, Worker

    return {
        "worker": Worker._meta.db_table,
        "employment": Employment._meta.db_table,
        "certificate": SkillCertificate._meta.db_table,
        "award": CraftsmanAward._meta.db_table,
    }


def _employed_days(year_start: datetime.date, as_of: datetime.date) -> int:
    """Days worked in [year start, reference date], all workers together (employed on d: from <= d < to)."""
    from workers.models import Employment

    after = as_of + datetime.timedelta(days=1)
    day = models.DateField()
    in_window = (
        Employment.objects.filter(started_on__lte=as_of)
        .filter(Q(ended_on__isnull=True) | (Q(ended_on__gt=year_start) & Q(ended_on__gt=F("started_on"))))
        .order_by()
    )
    worked = ExpressionWrapper(
        Least(Coalesce("ended_on", Value(after, output_field=day)), Value(after, output_field=day))
        - Greatest("started_on", Value(year_start, output_field=day)),
        output_field=models.DurationField(),
    )
    total = in_window.aggregate(days=Sum(worked))["days"]
    return total.days if total else 0


def _hypergeometric(rng: random.Random, population: int, successes: int, draws: int) -> int:
    """How many of `draws` taken without replacement from `population` are among its `successes`."""
    successes = min(successes, population)
    failures = population - successes
    if draws <= 0 or successes <= 0:
        return 0
    if draws >= population:
        return successes
    low, high = max(0, draws - failures), min(draws, successes)

    def log_choose(n: int, k: int) -> float:
        return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)

    if low == 0:  # the usual case, in four lgamma calls: C(failures, draws) / C(population, draws)
        lg = math.lgamma
        first = math.exp(
            lg(failures + 1) - lg(failures - draws + 1) - lg(population + 1) + lg(population - draws + 1)
        )
    else:
        first = math.exp(
            log_choose(successes, low) + log_choose(failures, draws - low) - log_choose(population, draws)
        )
    mean = draws * successes / population

    def search(u: float) -> tuple[int, float]:
        k, p = low, first
        cumulative = p
        while u > cumulative and k < high:
            p *= (successes - k) * (draws - k) / ((k + 1) * (failures - draws + k + 1))
            k += 1
            cumulative += p
            if k > mean and p < 1e-12 * cumulative:
                break  # the rest of the tail is below the rounding error of the sum
        return k, cumulative

    u = rng.random()
    k, total = search(u)
    if u > total:  # u fell in the rounding error: the terms summed to a hair under 1
        k, _ = search(u * total)
    return k


def seed_from_registry(*, writer, as_of: datetime.date, batch_size: int) -> TrainingSeed:
    """The generator's input from what the registry holds (a few aggregate queries)."""
    from portal.models import District

    t = _tables()
    year_start = datetime.date(as_of.year, 1, 1)
    districts = list(District.objects.order_by("pk").values_list("pk", "code", "name"))
    (workers,) = _scalar(f"SELECT COUNT(*) FROM {t['worker']}")  # noqa: S608 - table names from the models
    current: Counter = Counter()
    sizes: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for district_id, enterprise_id, n in _rows(
        f"SELECT district_id, enterprise_id, COUNT(*) FROM {t['worker']} WHERE left_on IS NULL "  # noqa: S608
        "GROUP BY district_id, enterprise_id ORDER BY district_id, enterprise_id",
        [],
        batch_size,
    ):
        current[district_id] += n
        sizes[district_id].append((n, enterprise_id))
    providers = {}
    for district_id, firms in sizes.items():
        wanted = max(1, round(current[district_id] / WORKERS_PER_PROVIDER))
        providers[district_id] = [e for _, e in sorted(firms, key=lambda f: (-f[0], f[1]))[:wanted]]
    employed_days = _employed_days(year_start, as_of)
    return TrainingSeed(
        writer=writer,
        as_of=as_of.toordinal(),
        year_start=year_start.toordinal(),
        batch_size=batch_size,
        district_names={pk: name for pk, _, name in districts},
        district_codes={pk: code for pk, code, _ in districts},
        workers=workers,
        current_workers=dict(current),
        providers=providers,
        employed_days=employed_days,
        enrolments_wanted=(workers * REPORT_PERSON_TIMES + REPORT_WORKERS // 2) // REPORT_WORKERS,
        subsidy_wanted=Decimal((workers * REPORT_SUBSIDY_YUAN + REPORT_WORKERS // 2) // REPORT_WORKERS),
        pay_days=_pay_days(year_start.toordinal(), as_of.toordinal()),
    )


class _Generator:
    def __init__(self, seed: TrainingSeed, rngs: dict[str, random.Random]) -> None:
        self.seed, self.rngs = seed, rngs
        self.out = _Out(seed.writer, seed.batch_size, seed.stats)
        self.rules = _Rules()
        self.claims = _Claims(seed, rngs["claims"], self.out)
        self.programs = _Programs(seed, rngs["programs"])

    # Workers one by one: enrolments, skill subsidies, tuition, craftsman awards ---------------------------

    def people(self, progress) -> None:
        seed, t, size = self.seed, _tables(), self.seed.batch_size
        rng = self.rngs["people"]
        as_of, year_start = _date(seed.as_of), _date(seed.year_start)
        # Certificates a subsidy claimed in the window may be for (12 months back, and a margin).
        oldest = year_start - datetime.timedelta(days=400)
        awards: dict[int, list[tuple]] = defaultdict(list)
        for row in _rows(
            f"SELECT worker_id, id, title_id, year, locally_trained FROM {t['award']} ORDER BY worker_id, id",  # noqa: S608
            [],
            size,
        ):
            awards[row[0]].append(row)
        workers = _rows(
            f"SELECT id, name, district_id, education, birth_date, bank_account FROM {t['worker']} ORDER BY id",  # noqa: S608
            [],
            size,
        )
        spells = _ByWorker(
            _rows(
                f"SELECT worker_id, district_id, enterprise_id, started_on, ended_on FROM {t['employment']} "  # noqa: S608
                f"WHERE {SPELL_IN_WINDOW} ORDER BY worker_id, started_on, id",
                [as_of, year_start],
                size,
            )
        )
        certificates = _ByWorker(
            _rows(
                f"SELECT worker_id, id, level, occupation, issued_on, revoked_on FROM {t['certificate']} "  # noqa: S608
                "WHERE issued_on >= %s AND issued_on <= %s ORDER BY worker_id, issued_on, id",
                [oldest, as_of],
                size,
            )
        )
        remaining, days_left = seed.enrolments_wanted, seed.employed_days
        tuition_age = _years_before(as_of, APPRENTICE_MAX_AGE + 1)
        done = 0
        try:
            for worker_id, name, district_id, education, born, token in workers:
                windows = []
                for _, spell_district, enterprise_id, started, ended in spells.take(worker_id):
                    low = max(started.toordinal(), seed.year_start)
                    high = min(ended.toordinal() - 1, seed.as_of) if ended else seed.as_of
                    windows.append((low, high, spell_district, enterprise_id))
                held = certificates.take(worker_id)
                if windows:
                    # Enrolments fall on days worked, drawn without replacement from all workers' days
                    # in the window: exactly the wanted number, evenly over the headcount of each month
                    # (a few people train twice).
                    worked = sum(high - low + 1 for low, high, _, _ in windows)
                    k = _hypergeometric(rng, days_left, remaining, worked)
                    remaining, days_left = remaining - k, days_left - worked
                    if k:
                        self._enrol(rng, worker_id, windows, worked, k, held)
                if token is not None:
                    payee = _Payee(worker_id, district_id, name, token)
                    self._skill_subsidies(rng, payee, held)
                    if windows and born > tuition_age:
                        self._tuition(rng, payee, education)
                    for award in awards.get(worker_id, ()):
                        self._award(rng, payee, award)
                done += 1
                if done % (size * 4) == 0:
                    progress("training: workers", done, seed.workers)
        finally:
            workers.close()
            spells.close()
            certificates.close()
        seed.stats["training_enrolments_short"] += remaining

    def _enrol(self, rng, worker_id: int, windows, worked: int, k: int, held: list[tuple]) -> None:
        seed = self.seed
        joined: set[int] = set()
        linked: set[int] = set()
        offsets = sorted(rng.sample(range(worked), k)) if k <= worked else [int(rng.random() * worked)] * k
        for offset in offsets:
            for _attempt in range(8):
                day, district_id, enterprise_id = _day_in(windows, offset)
                track = self.programs.track_for(rng, district_id, enterprise_id)
                program_id, _start, end = track.program(day)
                if program_id not in joined:
                    break
                offset = int(rng.random() * worked)  # that course already has them: another day
            else:
                seed.stats["training_enrolments_short"] += 1
                continue
            joined.add(program_id)
            completed = certificate_id = None
            if end <= seed.as_of:
                status = (
                    EnrollmentStatus.DROPPED
                    if rng.random() < DROPPED_SHARE_FINISHED
                    else EnrollmentStatus.COMPLETED
                )
            else:
                status = (
                    EnrollmentStatus.DROPPED
                    if rng.random() < DROPPED_SHARE_RUNNING
                    else EnrollmentStatus.ENROLLED
                )
            if status == EnrollmentStatus.COMPLETED:
                completed = end
                for _, cert_id, _level, _occupation, issued, revoked in held:
                    issued_day = issued.toordinal()
                    if (
                        cert_id not in linked
                        and revoked is None
                        and day <= issued_day <= min(end + 90, seed.as_of)
                        and rng.random() < CERTIFICATE_LINK_SHARE
                    ):
                        certificate_id = cert_id
                        linked.add(cert_id)
                        break
            if status != EnrollmentStatus.DROPPED:
                self.programs.kept[program_id] += 1
            self.out.add(Enrollment, ENROLLMENT_FIELDS, (
                worker_id, program_id, district_id, _date(day), status.value, _date(completed), certificate_id,
            ))  # fmt: skip
            seed.stats["training_enrolments"] += 1
            seed.stats[f"training_enrolments_{status.value}"] += 1

    def _skill_subsidies(self, rng, payee: _Payee, held: list[tuple]) -> None:
        """Most workers claim a few weeks after the certificate, some only near the deadline. Claims
        submitted before the window are not in the records (they were paid before the reference year)."""
        seed = self.seed
        earliest, claims_this_year = 0, 0
        for _, cert_id, level, occupation, issued, revoked in held:
            rule = self.rules.pick(ClaimKind.SKILL_SUBSIDY, issued, level=level, program_type="")
            if rule is None or rng.random() >= SKILL_TAKE_UP:
                continue
            issued_day = issued.toordinal()
            deadline = seed.as_of + 365
            if rule.window_months:
                deadline = add_months(issued, rule.window_months).toordinal()
            if revoked is not None:  # a revoked certificate earns nothing from the day it is revoked
                deadline = min(deadline, revoked.toordinal() - 1)
            submitted = issued_day + int(rng.expovariate(1 / SKILL_CLAIM_DELAY_DAYS))
            if submitted > deadline:
                submitted = issued_day + int(rng.random() * (deadline - issued_day + 1))
            # Later certificates (higher levels) are claimed after earlier ones: a lower level never
            # follows a paid higher one.
            first, last = max(submitted, earliest), min(deadline, seed.as_of)
            if first < seed.year_start - EARLY_CLAIM_DAYS or first > last:
                continue
            window = (first, min(first + 7, last))
            for _attempt in range(3):
                if rule.yearly_limit is not None and claims_this_year >= rule.yearly_limit:
                    return
                outcome = self.claims.add(
                    kind=ClaimKind.SKILL_SUBSIDY.value, payee=payee, rule=rule, amount=rule.amount,
                    reference_date=issued, window=window, stretch=last, certificate_id=cert_id, occupation=occupation,
                    level=level,
                )  # fmt: skip
                if outcome is None:
                    break
                claims_this_year += 1
                earliest = max(earliest, outcome.submitted)
                if outcome.status not in CLOSED or not self._again(rng, ClaimKind.SKILL_SUBSIDY):
                    break
                # Rejected or cancelled: the worker tries again before the deadline.
                first = outcome.last + 1 + int(rng.random() * 20)
                earliest = max(earliest, first)
                if first > last:
                    break
                window = (first, min(first + 7, last))

    def _again(self, rng, kind) -> bool:
        return not self.claims.complete(kind.value) or rng.random() < RESUBMIT_SHARE

    def _tuition(self, rng, payee: _Payee, education: str) -> None:
        degree = TUITION_NEXT.get(education)
        chance = TUITION_SHARE * (0.3 if degree == Degree.MASTER else 1)
        if degree is None or rng.random() >= chance:
            return
        seed = self.seed
        paid_on = _between(rng, seed.year_start - 120, seed.as_of - 10)  # the fee, paid for a term
        submitted = paid_on + int(rng.expovariate(1 / TUITION_CLAIM_DELAY_DAYS))
        if not seed.year_start - EARLY_CLAIM_DAYS <= submitted <= seed.as_of:
            return
        low, high = TUITION_RANGE[degree]
        tuition_paid = Decimal(_between(rng, low, high) * 100)
        rule = self.rules.pick(ClaimKind.TUITION, _date(paid_on))
        if rule is None or rule.rate is None:
            return
        amount = (tuition_paid * rule.rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if rule.cap is not None:
            amount = min(amount, rule.cap)
        detail = (
            degree.value,
            rng.choice(INSTITUTIONS[degree]),
            rng.choice(MAJORS),
            tuition_paid,
            _date(paid_on),
        )
        self.claims.add(
            kind=ClaimKind.TUITION.value, payee=payee, rule=rule, amount=amount, reference_date=_date(paid_on),
            window=(submitted, min(submitted + 7, seed.as_of)), stretch=min(paid_on + 365, seed.as_of),
            tuition=detail,
        )  # fmt: skip

    def _award(self, rng, payee: _Payee, award: tuple) -> None:
        _, award_id, title_id, year, locally_trained = award
        reference = datetime.date(year, 12, 31)
        rule = self.rules.pick(
            ClaimKind.CRAFTSMAN_AWARD,
            reference,
            district_id=payee.district_id,
            title_id=title_id,
            locally_trained=locally_trained,
        )
        if rule is None:
            return
        first = self.seed.year_start
        for _attempt in range(3):
            outcome = self.claims.add(
                kind=ClaimKind.CRAFTSMAN_AWARD.value, payee=payee, rule=rule, amount=rule.amount,
                reference_date=reference, window=(first, self.seed.as_of), award_id=award_id,
            )  # fmt: skip
            if (
                outcome is None
                or outcome.status not in CLOSED
                or not self._again(rng, ClaimKind.CRAFTSMAN_AWARD)
            ):
                return
            first = outcome.last + 1

    # Enterprises one by one: master-apprentice pairs and their stipends ---------------------------------

    def apprenticeships(self, progress) -> None:
        seed, t = self.seed, _tables()
        rng = self.rngs["apprenticeships"]
        as_of = _date(seed.as_of)
        stipend_rule = self.rules.pick(ClaimKind.APPRENTICESHIP_STIPEND, as_of)
        subsidy_paid = self.claims.paid_in_window[ClaimKind.SKILL_SUBSIDY.value]
        wanted = 0
        if stipend_rule is not None and stipend_rule.amount:
            wanted = max(0, round((seed.subsidy_wanted - subsidy_paid) / stipend_rule.amount))
        master_born_by = _years_before(as_of, MASTER_MIN_AGE)
        paid_hired_by = seed.as_of - STIPEND_SETTLE_DAYS - MIN_AGREEMENT_DAYS
        masters, payable = _scalar(
            f"SELECT COUNT(*), COUNT(CASE WHEN bank_account IS NOT NULL AND hired_on <= %s THEN 1 END) "  # noqa: S608
            f"FROM {t['worker']} WHERE left_on IS NULL AND skill_level >= %s AND birth_date <= %s",
            [_date(paid_hired_by), int(MASTER_MIN_LEVEL), master_born_by],
        )
        payable = payable or 0
        others = (
            round(wanted * OTHER_PAIRS_PER_PAID)
            if wanted
            else round(MIN_PAIR_SHARE * sum(seed.current_workers.values()))
        )
        self.pairs = {
            "paid_left": wanted, "paid_cells": 3 * payable, "other_left": others, "other_cells": 3 * (masters or 0),
        }  # fmt: skip
        self.pair_ids = _Ids(seed.writer, Apprenticeship, seed.batch_size)
        self.master_born_by = master_born_by.toordinal()
        self.apprentice_born_after = _years_before(as_of, APPRENTICE_MAX_AGE + 1).toordinal()
        self.paid_hired_by = paid_hired_by
        rows = _rows(
            f"SELECT w.enterprise_id, w.id, w.district_id, w.birth_date, w.hired_on, w.skill_level, w.occupation, "  # noqa: S608
            f"w.name, w.bank_account, c.id, c.level, c.issued_on, c.revoked_on FROM {t['worker']} w "
            f"LEFT JOIN {t['certificate']} c ON c.worker_id = w.id AND c.issued_on >= %s AND c.issued_on <= %s "
            "WHERE w.left_on IS NULL ORDER BY w.enterprise_id, w.id, c.issued_on, c.id",
            [_date(seed.as_of - MAX_AGREEMENT_DAYS - 400), as_of],
            seed.batch_size,
        )
        done = 0
        try:
            for _enterprise_id, group in itertools.groupby(rows, key=lambda row: row[0]):
                people = []
                for _worker_id, worker_rows in itertools.groupby(group, key=lambda row: row[1]):
                    worker_rows = list(worker_rows)
                    first = worker_rows[0]
                    certs = [(r[9], r[10], r[11].toordinal(), r[12]) for r in worker_rows if r[9] is not None]
                    people.append(_Person(first, certs))
                self._pairs(rng, people, stipend_rule)
                done += len(people)
                if done >= seed.batch_size * 4:
                    progress(
                        "training: apprenticeships",
                        self.seed.stats["training_apprenticeships"],
                        wanted + others,
                    )
                    done = 0
        finally:
            rows.close()
        seed.stats["training_stipends_wanted"] += wanted
        seed.stats["training_stipends_short"] += max(self.pairs["paid_left"], 0)

    def _pairs(self, rng, people: list[_Person], stipend_rule) -> None:
        state = self.pairs
        masters = [
            p
            for p in people
            if p.level is not None and p.level >= MASTER_MIN_LEVEL and p.born <= self.master_born_by
        ]
        pool = [
            p
            for p in people
            if (p.level is None or p.level <= APPRENTICE_MAX_LEVEL) and p.born > self.apprentice_born_after
        ]
        if not masters or not pool:
            state["other_cells"] -= 3 * len(masters)
            state["paid_cells"] -= 3 * sum(self._payable(m) for m in masters)
            return
        rng.shuffle(pool)
        for master in masters:
            if self._payable(master):
                for _ in range(3):
                    hit = rng.random() * state["paid_cells"] < state["paid_left"]
                    state["paid_cells"] -= 1
                    if hit:
                        # The agreement's end first, evenly over the window, so that stipends are paid
                        # evenly over the months; then an apprentice who was there 180 days before it.
                        ends = _between(
                            rng,
                            max(self.seed.year_start - STIPEND_EARLY_ENDS, master.hired + MIN_AGREEMENT_DAYS),
                            self.seed.as_of - STIPEND_SETTLE_DAYS,
                        )
                        apprentice = _take(pool, ends - MIN_AGREEMENT_DAYS)
                        if apprentice is None:
                            apprentice, ends = _take(pool, self.paid_hired_by), None
                        if apprentice is not None:
                            self._pair(rng, master, apprentice, "paid", stipend_rule, ends=ends)
                            state["paid_left"] -= 1
            for _ in range(3):
                hit = rng.random() * state["other_cells"] < state["other_left"]
                state["other_cells"] -= 1
                if hit:
                    apprentice = _take(pool, self.seed.as_of - 1)
                    if apprentice is not None:
                        fate = _weighted(rng, OTHER_FATES)
                        if fate == "claimed" and master.token is None:
                            fate = "unclaimed"
                        self._pair(rng, master, apprentice, fate, stipend_rule)
                        state["other_left"] -= 1

    def _payable(self, master: _Person) -> bool:
        return master.token is not None and master.hired <= self.paid_hired_by

    def _pair(self, rng, master: _Person, apprentice: _Person, fate: str, stipend_rule, ends=None) -> None:
        seed, as_of = self.seed, self.seed.as_of
        hired = max(master.hired, apprentice.hired)
        terminated = None
        if fate in ("paid", "claimed", "unclaimed"):
            high = as_of - (STIPEND_SETTLE_DAYS if fate != "unclaimed" else 1)
            low = max(
                seed.year_start - (STIPEND_EARLY_ENDS if fate != "unclaimed" else 90),
                hired + MIN_AGREEMENT_DAYS,
            )
            if low > high:
                fate = "active"
            else:
                if ends is None:
                    ends = _between(rng, low, high)
                starts = ends - _between(rng, MIN_AGREEMENT_DAYS, min(MAX_AGREEMENT_DAYS, ends - hired))
        if fate == "terminated":
            low, high = max(hired, as_of - MAX_AGREEMENT_DAYS), as_of - 60
            if low > high:
                fate = "active"
            else:
                starts = _between(rng, low, high)
                ends = starts + _between(rng, 365, MAX_AGREEMENT_DAYS)
                terminated = starts + _between(rng, 30, min(ends - 1, as_of) - starts)
        if fate == "active":
            low = max(hired, as_of - MAX_AGREEMENT_DAYS + 1)
            if low > as_of:
                return
            starts = _between(rng, low, as_of)
            ends = starts + _between(rng, max(MIN_AGREEMENT_DAYS, as_of + 1 - starts), MAX_AGREEMENT_DAYS)
        target = max(SkillLevel.JUNIOR, (apprentice.level or SkillLevel.APPRENTICE) + 1)
        earned = None
        until = min(ends + 90, terminated or as_of, as_of)
        for cert_id, level, issued, revoked in apprentice.certs:
            if (
                starts <= issued <= until
                and level >= SkillLevel.JUNIOR
                and revoked is None
                and rng.random() < 0.85
            ):
                earned, target = cert_id, level
                break
        pair_id = self.pair_ids.take()
        self.out.add(Apprenticeship, APPRENTICESHIP_FIELDS, (
            pair_id, master.id, apprentice.id, master.enterprise_id, master.district_id, master.occupation,
            int(target), _date(starts), _date(ends), _date(terminated), earned,
        ))  # fmt: skip
        seed.stats["training_apprenticeships"] += 1
        seed.stats[f"training_apprenticeships_{fate}"] += 1
        if fate not in ("paid", "claimed"):
            return
        rule = self.rules.pick(ClaimKind.APPRENTICESHIP_STIPEND, _date(ends))
        if rule is None:
            return
        payee = _Payee(master.id, master.district_id, master.name, master.token)
        kind = ClaimKind.APPRENTICESHIP_STIPEND
        first = max(ends, seed.year_start - EARLY_CLAIM_DAYS)
        for _attempt in range(3):
            outcome = self.claims.add(
                kind=kind.value, payee=payee, rule=rule, amount=rule.amount, reference_date=_date(ends),
                window=(first, min(first + STIPEND_CLAIM_DAYS, as_of)), stretch=as_of, status=CS.PAID if fate == "paid" else None,
                exclude=() if fate == "paid" else (CS.PAID,), apprenticeship_id=pair_id,
            )  # fmt: skip
            if outcome is None or outcome.status not in CLOSED or not self._again(rng, kind):
                return
            first, fate = outcome.last + 1, "claimed"  # a resubmission is not one of the wanted payments


APPRENTICESHIP_FIELDS = ("id", "master_id", "apprentice_id", "enterprise_id", "district_id", "occupation",
                         "skill_target", "starts_on", "ends_on", "terminated_on", "outcome_certificate_id")  # fmt: skip


class _Person:
    __slots__ = (
        "born",
        "certs",
        "district_id",
        "enterprise_id",
        "hired",
        "id",
        "level",
        "name",
        "occupation",
        "token",
    )

    def __init__(self, row: tuple, certs: list[tuple]) -> None:
        (self.enterprise_id, self.id, self.district_id, born, hired, self.level, self.occupation, self.name,
         self.token) = row[:9]  # fmt: skip
        self.born, self.hired, self.certs = born.toordinal(), hired.toordinal(), certs


def _day_in(windows: list[tuple[int, int, int, int]], offset: int) -> tuple[int, int, int]:
    """(day, district, enterprise) of the offset-th day employed in the window."""
    for low, high, district_id, enterprise_id in windows:
        if offset <= high - low:
            return low + offset, district_id, enterprise_id
        offset -= high - low + 1
    raise ValueError("offset beyond the days employed")


def _take(pool: list[_Person], hired_by: int) -> _Person | None:
    """The next apprentice in the (shuffled) pool hired by that day; each apprentice has one master."""
    for i, person in enumerate(pool):
        if person.hired <= hired_by:
            return pool.pop(i)
    return None


def generate(seed: TrainingSeed, rngs: dict[str, random.Random], progress=lambda *args: None) -> Counter:
    """Write programs, enrolments, apprenticeships, claims, tuition details, batches and payments."""
    if seed.workers == 0:
        return seed.stats
    if seed.staff is None:
        seed.staff = _Staff.ensure(seed.district_names, seed.district_codes)
    generator = _Generator(seed, rngs)
    generator.people(progress)
    generator.apprenticeships(progress)
    generator.out.flush()
    generator.programs.write(rngs["programs"])
    generator.claims.write_batches(seed.staff)
    paid = generator.claims.paid_in_window
    seed.stats["training_subsidy_paid_yuan"] += int(
        paid[ClaimKind.SKILL_SUBSIDY.value] + paid[ClaimKind.APPRENTICESHIP_STIPEND.value]
    )
    seed.stats["training_subsidy_wanted_yuan"] += int(seed.subsidy_wanted)
    seed.stats["training_enrolments_wanted"] += seed.enrolments_wanted
    return seed.stats


def seed_step(ctx) -> None:
    """The city seeder's step (workers.synthetic.SeedStep); reads the registry the steps before it wrote."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # The streams sort the registry by worker and by enterprise; let them do it in memory.
            cursor.execute("SET LOCAL work_mem = '256MB'")
    seed = seed_from_registry(writer=ctx.writer, as_of=ctx.as_of, batch_size=ctx.batch_size)
    rngs = {part: ctx.rng(f"training.{part}") for part in ("programs", "people", "apprenticeships", "claims")}
    stats = generate(seed, rngs, progress=ctx.report)
    for key, value in stats.items():
        ctx.stats[key] += value
    ctx.report("training", stats.get("training_enrolments", 0), seed.enrolments_wanted)


def _seed_steps():
    from workers.synthetic import SeedStep

    return [SeedStep("training", MODELS, seed_step)]


# seed_city finds this (workers.synthetic): training follows the registry in the city.
SEED_STEPS = _seed_steps()
