"""Synthetic training for seed_city: programmes, enrolments, apprenticeships, and the step that drives them.

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

The claims (skill subsidies, tuition, craftsman awards, stipends) and their payment are seed/claims.py's.

The step reads the registry back in streams ordered by worker (and once by enterprise, for the pairs),
holds one worker or one enterprise at a time, and writes through the seeder's writer in batches (COPY on
PostgreSQL); courses and batches, a few thousand rows, are written last, when their capacity and status
are known. Its random streams are ``ctx.rng("training.<part>")``.
"""

from __future__ import annotations

import datetime
import itertools
import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, models
from django.db.models import ExpressionWrapper, F, Q, Sum, Value
from django.db.models.functions import Coalesce, Greatest, Least

from seed import streams
from seed.claims import Claims, Payee, Staff
from seed.draws import between, date_of, weighted, years_before
from seed.registry import OCCUPATIONS
from seed.steps import SeedStep
from seed.writers import IdBlocks
from training.choices import ClaimKind, EnrollmentStatus, ProgramType
from training.models import (
    Apprenticeship,
    Claim,
    Enrollment,
    Payment,
    TrainingProgram,
    TuitionDetail,
)
from workers.choices import SkillLevel

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

# --- Apprenticeships ---------------------------------------------------------------------------------------
MASTER_MIN_LEVEL = SkillLevel.INTERMEDIATE
MASTER_MIN_AGE = 28
APPRENTICE_MAX_LEVEL = SkillLevel.JUNIOR
APPRENTICE_MAX_AGE = 45
MIN_AGREEMENT_DAYS, MAX_AGREEMENT_DAYS = 180, 730
STIPEND_SETTLE_DAYS = 30  # a paid stipend's agreement ended at least this long before the reference date
STIPEND_EARLY_ENDS = 25  # agreements that ended this many days before the year are paid in it
#: Pairs besides those whose stipend is paid in the window, per paid one: still running, claimed but not
#: (yet) paid, ended without a claim yet, terminated early.
OTHER_PAIRS_PER_PAID = 0.7
OTHER_FATES = (("active", 45), ("claimed", 25), ("unclaimed", 15), ("terminated", 15))
MIN_PAIR_SHARE = 0.02  # pairs per current worker when no stipend is wanted (no rule in force)


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
            target_level=weighted(rng, TARGET_LEVELS[program_type]),
            first_start=first_start,
            step=step,
            length=between(rng, shortest, longest),
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
            program_type = weighted(rng, PROVIDER_TYPE_WEIGHTS)
            if program_type.value in own and (
                program_type in ENTERPRISE_TYPES or rng.random() < PROVIDER_SKILL_UPGRADE_SHARE
            ):
                return own[program_type.value]
            if program_type in ENTERPRISE_TYPES:
                program_type = PT.SKILL_UPGRADE
        else:
            program_type = weighted(rng, SCHOOL_TYPE_WEIGHTS)
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
                    track.occupation, track.target_level, date_of(start), date_of(start + track.length), capacity,
                ))  # fmt: skip
                if len(rows) >= self.seed.batch_size:
                    self.seed.writer.write(TrainingProgram, PROGRAM_FIELDS, rows)
                    rows.clear()
        self.seed.writer.write(TrainingProgram, PROGRAM_FIELDS, rows)
        self.seed.stats["training_programs"] += sum(t.count for t in self.tracks)


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
    staff: Staff | None = None


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


# The spells that cover at least one day of the window [year start, reference date]. Employed on a day is the
# registry's rule, defined once in workers.models (employment_valid_on*: started_on <= d < ended_on); the
# window needs its union over the days, which no single date expresses: a spell covers a day of the window
# when it is the employment valid on the first day, or it began later in the window (and is not empty). The
# ORM form (_employed_days) and the SQL form (the people stream) say the same, each from the shared rule.
def _spell_in_window_sql() -> str:
    """The SQL condition, with %(first)s and %(last)s, the window's first and last day."""
    from workers.models import employment_valid_on_sql

    return (
        f"(({employment_valid_on_sql('', 'first')}) OR (started_on > %(first)s AND started_on <= %(last)s "
        "AND (ended_on IS NULL OR ended_on > started_on)))"
    )


def _spell_in_window_q(first: datetime.date, last: datetime.date) -> Q:
    from workers.models import employment_valid_on_q

    return employment_valid_on_q(first) | (
        Q(started_on__gt=first, started_on__lte=last)
        & (Q(ended_on__isnull=True) | Q(ended_on__gt=F("started_on")))
    )


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
    in_window = Employment.objects.filter(_spell_in_window_q(year_start, as_of)).order_by()
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
    (workers,) = streams.scalar(f"SELECT COUNT(*) FROM {t['worker']}")  # noqa: S608 - table names from the models
    current: Counter = Counter()
    sizes: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for district_id, enterprise_id, n in streams.rows(
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
        self.claims = Claims(seed, rngs["claims"], self.out)
        self.programs = _Programs(seed, rngs["programs"])

    # Workers one by one: enrolments, skill subsidies, tuition, craftsman awards ---------------------------

    def people(self, progress) -> None:
        seed, t, size = self.seed, _tables(), self.seed.batch_size
        rng = self.rngs["people"]
        as_of, year_start = date_of(seed.as_of), date_of(seed.year_start)
        # Certificates a subsidy claimed in the window may be for (12 months back, and a margin).
        oldest = year_start - datetime.timedelta(days=400)
        awards: dict[int, list[tuple]] = defaultdict(list)
        for row in streams.rows(
            f"SELECT worker_id, id, title_id, year, locally_trained FROM {t['award']} ORDER BY worker_id, id",  # noqa: S608
            [],
            size,
        ):
            awards[row[0]].append(row)
        workers = streams.rows(
            f"SELECT id, name, district_id, education, birth_date, bank_account FROM {t['worker']} ORDER BY id",  # noqa: S608
            [],
            size,
        )
        spells = streams.ByWorker(
            streams.rows(
                f"SELECT worker_id, district_id, enterprise_id, started_on, ended_on FROM {t['employment']} "  # noqa: S608
                f"WHERE {_spell_in_window_sql()} ORDER BY worker_id, started_on, id",
                {"first": year_start, "last": as_of},
                size,
            )
        )
        certificates = streams.ByWorker(
            streams.rows(
                f"SELECT worker_id, id, level, occupation, issued_on, revoked_on FROM {t['certificate']} "  # noqa: S608
                "WHERE issued_on >= %s AND issued_on <= %s ORDER BY worker_id, issued_on, id",
                [oldest, as_of],
                size,
            )
        )
        remaining, days_left = seed.enrolments_wanted, seed.employed_days
        tuition_age = years_before(as_of, APPRENTICE_MAX_AGE + 1)
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
                    payee = Payee(worker_id, district_id, name, token)
                    self.claims.skill_subsidies(rng, payee, held)
                    if windows and born > tuition_age:
                        self.claims.tuition(rng, payee, education)
                    for award in awards.get(worker_id, ()):
                        self.claims.award(rng, payee, award)
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
                worker_id, program_id, district_id, date_of(day), status.value, date_of(completed), certificate_id,
            ))  # fmt: skip
            seed.stats["training_enrolments"] += 1
            seed.stats[f"training_enrolments_{status.value}"] += 1

    def apprenticeships(self, progress) -> None:
        seed, t = self.seed, _tables()
        rng = self.rngs["apprenticeships"]
        as_of = date_of(seed.as_of)
        stipend_rule = self.claims.rules.pick(ClaimKind.APPRENTICESHIP_STIPEND, as_of)
        subsidy_paid = self.claims.paid_in_window[ClaimKind.SKILL_SUBSIDY.value]
        wanted = 0
        if stipend_rule is not None and stipend_rule.amount:
            wanted = max(0, round((seed.subsidy_wanted - subsidy_paid) / stipend_rule.amount))
        master_born_by = years_before(as_of, MASTER_MIN_AGE)
        paid_hired_by = seed.as_of - STIPEND_SETTLE_DAYS - MIN_AGREEMENT_DAYS
        masters, payable = streams.scalar(
            f"SELECT COUNT(*), COUNT(CASE WHEN bank_account IS NOT NULL AND hired_on <= %s THEN 1 END) "  # noqa: S608
            f"FROM {t['worker']} WHERE left_on IS NULL AND skill_level >= %s AND birth_date <= %s",
            [date_of(paid_hired_by), int(MASTER_MIN_LEVEL), master_born_by],
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
        self.pair_ids = IdBlocks(seed.writer, Apprenticeship, seed.batch_size)
        self.master_born_by = master_born_by.toordinal()
        self.apprentice_born_after = years_before(as_of, APPRENTICE_MAX_AGE + 1).toordinal()
        self.paid_hired_by = paid_hired_by
        rows = streams.rows(
            f"SELECT w.enterprise_id, w.id, w.district_id, w.birth_date, w.hired_on, w.skill_level, w.occupation, "  # noqa: S608
            f"w.name, w.bank_account, c.id, c.level, c.issued_on, c.revoked_on FROM {t['worker']} w "
            f"LEFT JOIN {t['certificate']} c ON c.worker_id = w.id AND c.issued_on >= %s AND c.issued_on <= %s "
            "WHERE w.left_on IS NULL ORDER BY w.enterprise_id, w.id, c.issued_on, c.id",
            [date_of(seed.as_of - MAX_AGREEMENT_DAYS - 400), as_of],
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
                        ends = between(
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
                        fate = weighted(rng, OTHER_FATES)
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
                    ends = between(rng, low, high)
                starts = ends - between(rng, MIN_AGREEMENT_DAYS, min(MAX_AGREEMENT_DAYS, ends - hired))
        if fate == "terminated":
            low, high = max(hired, as_of - MAX_AGREEMENT_DAYS), as_of - 60
            if low > high:
                fate = "active"
            else:
                starts = between(rng, low, high)
                ends = starts + between(rng, 365, MAX_AGREEMENT_DAYS)
                terminated = starts + between(rng, 30, min(ends - 1, as_of) - starts)
        if fate == "active":
            low = max(hired, as_of - MAX_AGREEMENT_DAYS + 1)
            if low > as_of:
                return
            starts = between(rng, low, as_of)
            ends = starts + between(rng, max(MIN_AGREEMENT_DAYS, as_of + 1 - starts), MAX_AGREEMENT_DAYS)
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
            int(target), date_of(starts), date_of(ends), date_of(terminated), earned,
        ))  # fmt: skip
        seed.stats["training_apprenticeships"] += 1
        seed.stats[f"training_apprenticeships_{fate}"] += 1
        if fate not in ("paid", "claimed"):
            return
        self.claims.stipend(
            rng,
            master=Payee(master.id, master.district_id, master.name, master.token),
            apprenticeship_id=pair_id,
            ends=ends,
            fate=fate,
        )


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
        seed.staff = Staff.ensure(seed.district_names, seed.district_codes)
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
    """The city seeder's step (SEED_STEPS, run by seed/city.py); reads the registry the steps before it wrote."""
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


#: Training follows the registry in the city (seed/city.py).
SEED_STEPS = [SeedStep("training", MODELS, seed_step)]
