"""A deterministic synthetic city for `seed_city`: enterprises, workers, careers, certificates, awards.

The generator runs a list of steps (``SeedStep``), each with its own random stream derived from the seed
and the step's name, so a step added by a later issue never changes the rows of the steps before it.
Other apps add steps by defining ``SEED_STEPS`` in their own ``synthetic`` module (found through
INSTALLED_APPS, in that order). A step receives a ``SeedContext``: the random stream, the reference date,
the districts, the id ranges of enterprises and workers per district, and a writer that takes rows in
batches (COPY on PostgreSQL, bulk_create elsewhere). Rows are plain tuples of attribute values with
personal data in clear text; the writer encrypts and hashes them exactly as the model fields would.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime
import importlib
import itertools
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from math import gcd

from django.apps import apps
from django.db import connection, models, transaction
from django.utils.module_loading import module_has_submodule

from portal import crypto
from portal.fields import BlindIndexField, EncryptedTextField
from workers.choices import (
    HIGH_SKILL_MIN_LEVEL,
    SKILLED_MIN_LEVEL,
    Education,
    Nomination,
    Ownership,
    PilotLevel,
    SizeBand,
    SkillLevel,
    TitleLevel,
)

# Fixed rather than "today" so that the same seed gives the same rows whenever it runs (tests, benchmarks
# and demos stay comparable); it must not be after the real today, because the services refuse records
# dated in the future. 30 June closes a half-year, a natural period end for the indicators.
DEFAULT_AS_OF = datetime.date(2026, 6, 30)
DEFAULT_BATCH_SIZE = 50_000

# --- The shape of the city ----------------------------------------------------------------------------------
# Plausible shares of the city's industrial workers by district, not official statistics: the
# manufacturing districts and county-level cities (Yinzhou, Cixi, Beilun, Yuyao) are the largest.
DISTRICT_SHARES = {
    "330203": 0.08,  # Haishu
    "330205": 0.06,  # Jiangbei
    "330206": 0.15,  # Beilun
    "330211": 0.07,  # Zhenhai
    "330212": 0.17,  # Yinzhou
    "330213": 0.06,  # Fenghua
    "330225": 0.05,  # Xiangshan
    "330226": 0.07,  # Ninghai
    "330281": 0.13,  # Yuyao
    "330282": 0.16,  # Cixi
}
WORKERS_PER_ENTERPRISE = 17
# Log-normal enterprise sizes: median about 7 registered workers, a long tail of large plants.
SIZE_SIGMA = 1.3
ABOVE_SCALE_SHARE = 0.17
PUBLIC_WORKER_SHARE = 0.20
MALE_SHARE = 0.66
PHONE_SHARE = 0.97
BANK_ACCOUNT_SHARE = 0.45
LEAVER_SHARE = 0.025
REVOKED_SHARE = 0.03

# Highest certificate a worker reaches (0 = none), before revocations take a few away; calibrated so
# that about 56% are skilled (>= 初级工) and about 32% of those high-skill (>= 高级工), as in the report.
TARGET_LEVELS = (
    (0, 0.3848),
    (SkillLevel.APPRENTICE, 0.040),
    (SkillLevel.JUNIOR, 0.2055),
    (SkillLevel.INTERMEDIATE, 0.1845),
    (SkillLevel.SENIOR, 0.1295),
    (SkillLevel.TECHNICIAN, 0.0430),
    (SkillLevel.SENIOR_TECHNICIAN, 0.0117),
    (SkillLevel.PRINCIPAL_TECHNICIAN, 0.0008),
    (SkillLevel.CHIEF_TECHNICIAN, 0.0002),
)
# Ages at the reference date, by band: most industrial workers are between 25 and 50.
AGE_BANDS = ((18, 24, 10), (25, 29, 14), (30, 34, 16), (35, 39, 16), (40, 44, 14), (45, 49, 13),
             (50, 54, 11), (55, 60, 6))  # fmt: skip
# Chance that a worker at this level holds a craftsman title (only from 35 on: titles need 15+ years).
AWARD_CHANCE = {SkillLevel.TECHNICIAN: 0.03, SkillLevel.SENIOR_TECHNICIAN: 0.12,
                SkillLevel.PRINCIPAL_TECHNICIAN: 0.5, SkillLevel.CHIEF_TECHNICIAN: 0.7}  # fmt: skip

# Where workers' ID numbers were issued: real GB/T 2260 county-level codes, a few per province, weighted
# so that most workers are migrants (shares in per cent; plausible, not official).
ID_AREAS = (
    # Ningbo itself, with codes retired but still in use for life (江东区, 奉化市, 鄞县).
    (30, ("330203", "330204", "330205", "330206", "330211", "330212", "330213", "330225", "330226",
          "330281", "330282", "330283", "330227")),
    (8, ("330326", "330327", "330382", "330681", "330782", "331081", "331121", "330881")),  # Zhejiang
    (12, ("341221", "341222", "341225", "341226", "341321", "341322", "341323", "340822")),  # Anhui
    (9, ("411324", "411325", "411627", "411628", "411521", "411522", "411526", "411723")),  # Henan
    (8, ("510722", "511321", "511322", "511623", "511722", "511025")),  # Sichuan
    (8, ("522422", "522427", "520221", "522631", "522725")),  # Guizhou
    (6, ("360121", "360424", "360428", "361127", "361128", "360731")),  # Jiangxi
    (5, ("430521", "430524", "430626", "431021", "431121", "430381")),  # Hunan
    (2, ("230103", "230183", "230281", "230621", "231083", "230882")),  # Heilongjiang
    (3, ("500228", "500233", "500237")),  # Chongqing
    (3, ("421127", "420984")),  # Hubei
    (2, ("530381",)),  # Yunnan
    (1.5, ("450881",)),  # Guangxi
    (1, ("620522", "621121")),  # Gansu
    (1, ("321322", "320923")),  # Jiangsu
    (0.5, ("371722",)),  # Shandong
)  # fmt: skip
# A retired code is only carried by people registered before it was retired; later ones got the new one.
RETIRED_ID_AREAS = {"330227": (2002, "330212"), "330204": (2016, "330212"), "330283": (2016, "330213")}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
# Roughly the real frequencies: the first few surnames cover a large share of the population.
SURNAME_WEIGHTS = tuple(max(7.5 - 0.6 * i, 0.35) for i in range(len(SURNAMES)))
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁建国志海峰林东文亮龙俊浩宇凯健兵金达永成新春生祥荣德福"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英玲燕红梅琳婷雪慧颖倩洁萍莉兰琴云凤佳欣怡丹晶玉桂珍月露彩"

OCCUPATIONS = (
    ("数控车工", 9), ("数控铣工", 5), ("焊工", 9), ("电工", 8), ("装配钳工", 6), ("机修钳工", 4),
    ("模具工", 6), ("注塑工", 7), ("压铸工", 4), ("车工", 4), ("铣工", 2), ("磨工", 2), ("冲压工", 4),
    ("电子设备装接工", 5), ("汽车装调工", 4), ("缝纫工", 4), ("纺纱工", 2), ("质量检验员", 4),
    ("叉车司机", 2), ("化工总控工", 3), ("工业机器人系统操作员", 2), ("涂装工", 2), ("热处理工", 1),
    ("铸造工", 2), ("光学零件制造工", 2), ("家用电器产品装配工", 2),
)  # fmt: skip
POSITIONS = (("", 55), ("操作工", 25), ("班组长", 8), ("技术员", 6), ("质检员", 3), ("车间主任", 2),
             ("设备维修员", 1))  # fmt: skip
EDUCATION = (
    (Education.PRIMARY, 5), (Education.JUNIOR_SECONDARY, 38), (Education.SENIOR_SECONDARY, 17),
    (Education.VOCATIONAL, 20), (Education.COLLEGE, 14), (Education.BACHELOR, 5.5), (Education.MASTER, 0.5),
)  # fmt: skip
# Real mobile prefixes of the three operators.
PHONE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
                  "153", "155", "156", "157", "158", "159", "166", "177", "180", "181", "182", "183",
                  "185", "186", "187", "188", "189", "191", "198", "199")  # fmt: skip
# Debit-card prefixes (BIN) of large banks: ICBC, ABC, CCB, BOC, Bank of Communications.
BANK_PREFIXES = ("622202", "622848", "621700", "621661", "622260")
ISSUING_BODIES = ("宁波市职业技能鉴定指导中心", "浙江省职业技能鉴定中心", "宁波技师学院",
                  "宁波市技能人才评价管理服务中心", "企业自主评价（经备案）")  # fmt: skip
REVOKE_REASONS = ("考核中有舞弊行为，证书撤销", "申报材料不实，证书撤销", "重复发证，予以注销")

ENTERPRISE_WORD_A = "华恒金鑫博永海天宏盛隆源精瑞泰兴远通达新明德信立东宇"
ENTERPRISE_WORD_B = "力工达源泰丰盛科发创晟特顺凯展诚昌邦利鼎锐成鸿升嘉"
INDUSTRIES = ("精密机械", "模具", "五金制品", "电器", "汽车零部件", "塑料制品", "纺织", "服饰", "电子",
              "轴承", "液压", "压铸", "文具", "家电", "新材料", "光电科技", "化工", "机电", "紧固件",
              "电机", "阀门", "不锈钢制品", "照明电器", "智能装备")  # fmt: skip
ROADS = ("工业路", "科技大道", "兴业路", "创业路", "滨海大道", "明州路", "新城路", "环城北路", "金山路",
         "东环路", "开发区大道", "园区路", "北海路", "长江路", "通途路")  # fmt: skip
PILOT_MEASURES = ("技能等级自主评价", "师带徒津贴", "技能与薪酬挂钩", "职工技能提升计划", "技术工人职务晋升通道",
                  "一线职工创新工作室", "职工学历提升补助")  # fmt: skip

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714, the organisation code inside a credit code

# Odd sequence numbers are men, even ones women: 499 of each per birth date (001-997, 002-998).
SEQUENCES_PER_DAY = 499
# At most 4 leap days in 16 years, so this many days after birth is always on or after the 16th birthday.
DAYS_TO_16 = 16 * 365 + 4


# --- Steps and their context --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedStep:
    """One generation step: its name (which also seeds its random stream), the models it writes (parents
    first; ``--reset`` empties them), and the function that writes them through ``ctx.writer``."""

    name: str
    models: tuple[str, ...]
    run: Callable[[SeedContext], None]


@dataclass
class EnterprisePlan:
    """The enterprises of one district: ids first_id.., cumulative worker counts, flag bits."""

    district_id: int
    first_id: int
    cumulative: list[int]
    flags: bytearray

    UNION = 1
    ABOVE_SCALE = 2
    PUBLIC = 4

    @property
    def ids(self) -> range:
        return range(self.first_id, self.first_id + len(self.flags))

    @property
    def total(self) -> int:
        return self.cumulative[-1] if self.cumulative else 0

    def pick(self, rng: random.Random) -> int:
        """An index of one of these enterprises, chosen in proportion to its number of workers."""
        return bisect.bisect_right(self.cumulative, int(rng.random() * self.total))


@dataclass
class SeedContext:
    """What every step gets: its random stream (``rng(name)``), the reference date, the districts, and
    what the registry's steps leave for later ones (enterprise plans and worker id ranges per district)."""

    seed: int
    workers: int
    as_of: datetime.date
    batch_size: int
    districts: dict[str, int]  # GB/T 2260 code -> District id, in code order
    writer: Writer
    progress: Callable[[str], None] = print
    # Filled in by the registry's steps for the steps that follow.
    worker_counts: dict[int, int] = field(default_factory=dict)
    enterprises: dict[int, EnterprisePlan] = field(default_factory=dict)
    worker_ids: dict[int, range] = field(default_factory=dict)
    stats: Counter = field(default_factory=Counter)
    started: float = field(default_factory=time.perf_counter)

    def rng(self, step_name: str) -> random.Random:
        # Reproducible, not secret: random.Random hashes a string seed with SHA-512, stable across versions.
        return random.Random(f"{self.seed}:{step_name}")  # noqa: S311

    @property
    def timestamp(self) -> datetime.datetime:
        """created_at / updated_at of seeded rows: the evening of the reference date, Ningbo time."""
        return datetime.datetime.combine(
            self.as_of, datetime.time(18, 0), tzinfo=datetime.timezone(datetime.timedelta(hours=8))
        )

    def report(self, label: str, done: int, total: int) -> None:
        elapsed = time.perf_counter() - self.started
        rows = self.writer.rows_written
        self.progress(
            f"{label} {done:,}/{total:,} ({100 * done / max(total, 1):.0f}%): {rows:,} rows in {elapsed:.1f} s, "
            f"{rows / max(elapsed, 1e-9):,.0f} rows/s"
        )


def collect_steps() -> list[SeedStep]:
    """SEED_STEPS of every installed app's ``synthetic`` module, in INSTALLED_APPS order."""
    steps: list[SeedStep] = []
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, "synthetic"):
            steps.extend(getattr(importlib.import_module(f"{config.name}.synthetic"), "SEED_STEPS", ()))
    return steps


# --- Small deterministic helpers ----------------------------------------------------------------------------


def _cumulative(weights: Sequence[float]) -> list[float]:
    total = float(sum(weights))
    return [w / total for w in itertools.accumulate(weights)]


def _pick(rng_random: Callable[[], float], values: Sequence, cumulative: Sequence[float]):
    # min(): a float sum may end a hair below 1.0.
    return values[min(bisect.bisect_right(cumulative, rng_random()), len(values) - 1)]


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year - years, day=28)


def _largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Integers in proportion to weights that add up to exactly total."""
    weight_sum = float(sum(weights))
    if total <= 0 or weight_sum <= 0:
        return [0] * len(weights)
    raw = [total * w / weight_sum for w in weights]
    counts = [math.floor(x) for x in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _affine(n: int, rng: random.Random) -> tuple[int, int]:
    """(a, b) with gcd(a, n) = 1, so j -> (a*j + b) % n visits 0..n-1 once each, scattered."""
    if n <= 1:
        return 1, 0
    a = rng.randrange(1, n)
    while gcd(a, n) != 1:
        a = rng.randrange(1, n)
    return a, rng.randrange(n)


def id_number_check(body: str) -> str:
    return ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def credit_code(area: str, serial: int) -> str:
    """A valid unified social credit code: 91 (enterprise) + area + organisation code + check character.

    The organisation code's 8 digits are a bijection of serial (the multiplier is coprime with 9*10^7),
    so codes are unique without remembering them, and never start with 0 (demo codes do).
    """
    body8 = f"{10_000_000 + (serial * 48_271 + 7_919) % 90_000_000:08d}"
    org_check = 11 - sum(int(c) * w for c, w in zip(body8, ORG_CODE_WEIGHTS, strict=True)) % 11
    body = f"91{area}{body8}" + {10: "X", 11: "0"}.get(org_check, str(org_check))
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return body + USCC_ALPHABET[(31 - total % 31) % 31]


# --- Step 1: enterprises ------------------------------------------------------------------------------------


def _size_band(size: int) -> str:
    # Plain str values: psycopg would dump an Enum member by its name.
    if size < 20:
        return SizeBand.MICRO.value
    if size < 300:
        return SizeBand.SMALL.value
    if size < 1000:
        return SizeBand.MEDIUM.value
    return SizeBand.LARGE.value


def _date_between(rng: random.Random, first: int, last: int) -> datetime.date:
    return datetime.date.fromordinal(first + int(rng.random() * (last - first + 1)))


def enterprises_generate(ctx: SeedContext) -> None:
    """Enterprises per district, with worker counts that add up to the district's share of the city."""
    from workers.models import Enterprise

    rng = ctx.rng("enterprises")
    codes = list(ctx.districts)
    worker_counts = _largest_remainder(ctx.workers, [DISTRICT_SHARES.get(code, 0) for code in codes])
    firm_counts = [max(1, round(n / WORKERS_PER_ENTERPRISE)) if n else 0 for n in worker_counts]
    first_id = ctx.writer.reserve_ids(Enterprise, sum(firm_counts))
    as_of = ctx.as_of.toordinal()
    names = {d.code: d.name for d in apps.get_model("portal", "District").objects.all()}
    mu = math.log(WORKERS_PER_ENTERPRISE) - SIZE_SIGMA**2 / 2
    stamp = ctx.timestamp
    fields = ("id", "name", "credit_code", "district_id", "address", "ownership", "above_scale",
              "union_established_on", "size_band", "pilot_level", "policy_plan", "policy_plan_file",
              "created_at", "updated_at")  # fmt: skip
    serial = 0
    for code, n_workers, n_firms in zip(codes, worker_counts, firm_counts, strict=True):
        district_id = ctx.districts[code]
        ctx.worker_counts[district_id] = n_workers
        sizes = _largest_remainder(n_workers, [rng.lognormvariate(mu, SIZE_SIGMA) for _ in range(n_firms)])
        # Above-scale (规上) firms are mostly the big ones, with some noise: revenue is not headcount.
        score = sorted(range(n_firms), key=lambda i: -(math.log1p(sizes[i]) + rng.gauss(0, 0.6)))
        above = set(score[: round(n_firms * ABOVE_SCALE_SHARE)])
        # Public (state or collective) firms until they hold their share of workers, preferring big ones.
        public: set[int] = set()
        room = round(n_workers * PUBLIC_WORKER_SHARE)
        order = list(range(n_firms))
        rng.shuffle(order)
        for strict_pass in (True, False):
            for i in order:
                if i in public or sizes[i] > room:
                    continue
                if strict_pass and rng.random() >= (0.35 if i in above else 0.06):
                    continue
                public.add(i)
                room -= sizes[i]
        flags = bytearray(n_firms)
        rows = []
        for i in range(n_firms):
            big = i in above
            union = rng.random() < (0.92 if big else 0.30)
            union_on = _date_between(rng, datetime.date(1995 if big else 2005, 1, 1).toordinal(), as_of - 1)
            pilot = PilotLevel.NONE
            if union and big:
                draw = rng.random()
                pilot = PilotLevel.PROVINCE if draw < 0.012 else PilotLevel.CITY if draw < 0.052 else pilot
            elif union and rng.random() < 0.003:
                pilot = PilotLevel.CITY
            plan = "；".join(rng.sample(PILOT_MEASURES, 3)) if pilot != PilotLevel.NONE else ""
            name = _enterprise_name(rng, names.get(code, ""), big=big, public=i in public, size=sizes[i])
            address = f"{names.get(code, '')}{rng.choice(ROADS)}{rng.randrange(1, 999)}号"
            flags[i] = (
                (EnterprisePlan.UNION if union else 0)
                | (EnterprisePlan.ABOVE_SCALE if big else 0)
                | (EnterprisePlan.PUBLIC if i in public else 0)
            )
            ownership = Ownership.PUBLIC if i in public else Ownership.NON_PUBLIC
            rows.append((
                first_id + i, name, credit_code(code, serial), district_id, address, ownership.value, big,
                union_on if union else None, _size_band(sizes[i]), pilot.value, plan, "",
                stamp, stamp,
            ))  # fmt: skip
            serial += 1
            ctx.stats["enterprises"] += 1
            ctx.stats["enterprises_above_scale"] += big
            ctx.stats["enterprises_with_union"] += union
            ctx.stats["workers_in_public"] += sizes[i] if i in public else 0
            if len(rows) >= ctx.batch_size:
                ctx.writer.write(Enterprise, fields, rows)
                rows.clear()
        ctx.writer.write(Enterprise, fields, rows)
        ctx.enterprises[district_id] = EnterprisePlan(
            district_id, first_id, list(itertools.accumulate(sizes)), flags
        )
        first_id += n_firms
    ctx.report("enterprises", ctx.stats["enterprises"], ctx.stats["enterprises"])


def _enterprise_name(rng: random.Random, district: str, *, big: bool, public: bool, size: int) -> str:
    brand = rng.choice(ENTERPRISE_WORD_A) + rng.choice(ENTERPRISE_WORD_B)
    place = "宁波" if rng.random() < 0.7 else district
    industry = rng.choice(INDUSTRIES)
    if public:
        return f"宁波市{brand}{industry}集团有限公司"
    if big and rng.random() < 0.3:
        return f"{place}{brand}{industry}股份有限公司"
    if size < 20 and rng.random() < 0.3:
        return f"{place}{brand}{industry}厂"
    return f"{place}{brand}{industry}有限公司"


# --- Step 2: workers, their careers, certificates and awards -------------------------------------------------

WORKER_FIELDS = ("id", "name", "id_number", "birth_date", "gender", "phone", "bank_account", "enterprise_id",
                 "district_id", "occupation", "position", "education", "union_member", "hired_on", "left_on",
                 "skill_level", "created_at", "updated_at")  # fmt: skip
EMPLOYMENT_FIELDS = ("worker_id", "enterprise_id", "district_id", "position", "started_on", "ended_on")
CERTIFICATE_FIELDS = ("worker_id", "level", "occupation", "number", "issuing_body", "issued_on", "revoked_on",
                      "revoke_reason")  # fmt: skip
AWARD_FIELDS = ("worker_id", "title_id", "year", "locally_trained", "nominated_by", "note")


class _IdNumbers:
    """Unique resident ID numbers: one counter per (birth date, gender) hands out sequence numbers.

    The sequence part is unique per birth date whatever the area code, so numbers never repeat, and the
    memory is two small counters per day of the 43 working-age years, not one entry per worker.
    """

    def __init__(self, rng: random.Random, as_of: datetime.date):
        self.first_day = _years_before(as_of, 62).toordinal()
        self.last_day = _years_before(as_of, 18).toordinal()
        self.counters = bytearray(2 * (self.last_day - self.first_day + 1) * 2)
        self.order = list(range(SEQUENCES_PER_DAY))
        rng.shuffle(self.order)  # the sequence digits look random, not 001, 003, 005 ...
        self.dates: dict[int, tuple[str, int, datetime.date]] = {}
        self.area_sums = {}
        self.sequence_sums = [sum(int(d) * w for d, w in zip(f"{s:03d}", ID_WEIGHTS[14:], strict=True))
                              for s in range(1000)]  # fmt: skip

    def _take(self, day: int, male: bool) -> int | None:
        slot = 2 * ((day - self.first_day) * 2 + male)
        used = self.counters[slot] | self.counters[slot + 1] << 8
        if used >= SEQUENCES_PER_DAY:
            return None
        self.counters[slot], self.counters[slot + 1] = (used + 1) & 0xFF, (used + 1) >> 8
        return 2 * self.order[used] + (1 if male else 2)

    def issue(self, area: str, day: int, male: bool) -> tuple[str, int]:
        """(ID number, birth ordinal); a full birth date moves to the nearest day with room."""
        candidate, sequence = day, self._take(day, male)
        shift = 0
        while sequence is None:  # rare: only when one birth date has 499 workers of one gender
            shift = -shift if shift > 0 else 1 - shift
            if shift > self.last_day - self.first_day:
                raise ValueError("No sequence numbers left for this many workers.")
            candidate = day + shift
            if self.first_day <= candidate <= self.last_day:
                sequence = self._take(candidate, male)
        cached = self.dates.get(candidate)
        if cached is None:
            birth = datetime.date.fromordinal(candidate)
            digits = birth.strftime("%Y%m%d")
            cached = (digits, sum(int(d) * w for d, w in zip(digits, ID_WEIGHTS[6:14], strict=True)), birth)
            self.dates[candidate] = cached
        digits, date_sum, _ = cached
        area_sum = self.area_sums.get(area)
        if area_sum is None:
            area_sum = self.area_sums[area] = sum(int(d) * w for d, w in zip(area, ID_WEIGHTS, strict=False))
        check = ID_CHECK[(area_sum + date_sum + self.sequence_sums[sequence]) % 11]
        return f"{area}{digits}{sequence:03d}{check}", candidate

    def birth_date(self, day: int) -> datetime.date:
        return self.dates[day][2]


def workers_generate(ctx: SeedContext) -> None:
    """Workers district by district, in batches, each with employment spells, certificates and awards."""
    from workers.models import CraftsmanAward, CraftsmanTitle, Employment, SkillCertificate, Worker

    rng = ctx.rng("workers")
    rand = rng.random
    as_of = ctx.as_of.toordinal()
    ids = _IdNumbers(rng, ctx.as_of)
    first_id = ctx.writer.reserve_ids(Worker, ctx.workers)
    stamp = ctx.timestamp

    def table(pairs):
        values, weights = zip(*pairs, strict=True)
        return values, _cumulative(weights)

    surnames, surname_cum = table(zip(SURNAMES, SURNAME_WEIGHTS, strict=True))
    occupations, occupation_cum = table(OCCUPATIONS)
    positions, position_cum = table(POSITIONS)
    educations, education_cum = table((e.value, w) for e, w in EDUCATION)
    levels, level_cum = table((int(level), w) for level, w in TARGET_LEVELS)
    bands, band_cum = table(((lo, hi), w) for lo, hi, w in AGE_BANDS)
    provinces, province_cum = table((areas, w) for w, areas in ID_AREAS)
    # (first birth ordinal, number of days) of the people aged exactly `age` on the reference date.
    age_days = {
        age: (
            _years_before(ctx.as_of, age + 1).toordinal() + 1,
            _years_before(ctx.as_of, age).toordinal() - _years_before(ctx.as_of, age + 1).toordinal(),
        )
        for age in range(18, 61)
    }
    if not ctx.workers:
        ctx.worker_ids = {district_id: range(first_id, first_id) for district_id in ctx.enterprises}
        return
    district_ids = list(ctx.enterprises)
    district_cum = _cumulative([ctx.worker_counts[d] for d in district_ids])
    codes = {district_id: code for code, district_id in ctx.districts.items()}
    titles = list(CraftsmanTitle.objects.filter(active=True).order_by("pk").values_list("pk", "level"))
    city_titles = [pk for pk, level in titles if level != TitleLevel.PROVINCE]
    province_titles = [pk for pk, level in titles if level == TitleLevel.PROVINCE]

    workers, employments, certificates, awards = [], [], [], []
    done = 0
    certificate_serial = 0

    def flush() -> None:
        ctx.writer.write(Worker, WORKER_FIELDS, workers)
        ctx.writer.write(Employment, EMPLOYMENT_FIELDS, employments)
        ctx.writer.write(SkillCertificate, CERTIFICATE_FIELDS, certificates)
        ctx.writer.write(CraftsmanAward, AWARD_FIELDS, awards)
        for rows in (workers, employments, certificates, awards):
            rows.clear()
        ctx.report("workers", done, ctx.workers)

    worker_id = first_id
    for district_id, plan in ctx.enterprises.items():
        n = ctx.worker_counts[district_id]
        ctx.worker_ids[district_id] = range(worker_id, worker_id + n)
        code = codes[district_id]
        a, b = _affine(n, rng)
        for j in range(n):
            index = bisect.bisect_right(plan.cumulative, (a * j + b) % n)
            enterprise_id = plan.first_id + index
            flags = plan.flags[index]

            male = rand() < MALE_SHARE
            low, high = _pick(rand, bands, band_cum)
            age = low + int(rand() * (high - low + 1))
            first_day, days = age_days[age]
            areas = _pick(rand, provinces, province_cum)
            area = areas[int(rand() * len(areas))]
            retired = RETIRED_ID_AREAS.get(area)
            born_guess = first_day + int(rand() * days)
            if retired and datetime.date.fromordinal(born_guess).year >= retired[0]:
                area = retired[1]
            id_number, born = ids.issue(area, born_guess, male)
            given = GIVEN_MALE if male else GIVEN_FEMALE
            name = _pick(rand, surnames, surname_cum) + "".join(
                given[int(rand() * len(given))] for _ in range(1 + (rand() < 0.7))
            )
            phone = (
                f"{PHONE_PREFIXES[int(rand() * len(PHONE_PREFIXES))]}{(done * 7_919 + 1_234_567) % 10**8:08d}"
                if rand() < PHONE_SHARE
                else None
            )
            bank = (
                f"{BANK_PREFIXES[int(rand() * len(BANK_PREFIXES))]}{int(rand() * 10**13):013d}"
                if rand() < BANK_ACCOUNT_SHARE
                else None
            )
            occupation = _pick(rand, occupations, occupation_cum)
            education = _pick(rand, educations, education_cum)
            position = "学徒" if age < 21 and rand() < 0.3 else _pick(rand, positions, position_cum)
            union_member = rand() < (0.88 if flags & EnterprisePlan.UNION else 0.03)

            # Career: first job at 16 to 26, the current one for an exponentially distributed tenure.
            start = min(born + DAYS_TO_16 + int(rand() * rand() * 10 * 365), as_of - 60)
            hired = max(start, as_of - int(-math.log(1.0 - rand()) * 4.5 * 365))
            gap = hired - start
            if gap >= 365 and rand() < 0.45:
                if gap >= 730 and rand() < 0.3:
                    end1 = start + int(gap * (0.2 + 0.2 * rand()))
                    start2 = end1 + int(gap * 0.1 * rand())
                    end2 = start2 + int((hired - start2) * (0.6 + 0.4 * rand()))
                    spells = ((start, end1), (start2, end2))
                else:
                    spells = ((start, start + int(gap * (0.5 + 0.45 * rand()))),)
                for began, ended in spells:
                    other_district = _pick(rand, district_ids, district_cum)
                    other = ctx.enterprises[other_district]
                    pick = other.pick(rng)
                    if other_district == district_id and pick == index and len(other.flags) > 1:
                        pick = (pick + 1) % len(other.flags)
                    employments.append((
                        worker_id, other.first_id + pick, other_district, "操作工" if rand() < 0.6 else "",
                        datetime.date.fromordinal(began), datetime.date.fromordinal(ended),
                    ))  # fmt: skip
                    ctx.stats["employments_closed"] += 1
            left = (
                hired + 1 + int(rand() * (as_of - hired))
                if as_of - hired > 30 and rand() < LEAVER_SHARE
                else 0
            )
            hired_on = datetime.date.fromordinal(hired)
            left_on = datetime.date.fromordinal(left) if left else None
            employments.append((worker_id, enterprise_id, district_id, position, hired_on, left_on))

            # Certificates: a ladder up to the target level, issued over the career, a few revoked.
            target = _pick(rand, levels, level_cum)
            if target >= SkillLevel.TECHNICIAN and age < 28:
                target = int(
                    SkillLevel.SENIOR
                )  # keeps the shares: still high-skill, but not a 25-year-old 技师
            skill_level = None
            first_top_year = None
            if target:
                ladder = [target]
                while ladder[-1] > SKILLED_MIN_LEVEL and rand() < 0.5:
                    ladder.append(ladder[-1] - 1)
                window_start = min(
                    max(start + 180, as_of - 3 * 365) if target == 1 else start + 180, as_of - 30
                )
                dates = sorted(window_start + int(rand() * (as_of - window_start + 1)) for _ in ladder)
                for level, issued in zip(reversed(ladder), dates, strict=True):
                    revoked = (
                        issued + 30 + int(rand() * (as_of - issued - 30))
                        if as_of - issued > 60 and rand() < REVOKED_SHARE
                        else None
                    )
                    issued_on = datetime.date.fromordinal(issued)
                    certificate_serial += 1
                    certificates.append((
                        worker_id, level, occupation if rand() < 0.9 else _pick(rand, occupations, occupation_cum),
                        f"S{issued_on.year}{code}{level}{certificate_serial:09d}", ISSUING_BODIES[int(rand() * 5)],
                        issued_on, datetime.date.fromordinal(revoked) if revoked else None,
                        REVOKE_REASONS[int(rand() * 3)] if revoked else "",
                    ))  # fmt: skip
                    ctx.stats["certificates_revoked"] += revoked is not None
                    # The rule of workers.skills.valid_on_q, on the reference date.
                    if issued <= as_of and (revoked is None or revoked > as_of):
                        skill_level = level if skill_level is None else max(skill_level, level)
                        if level >= SkillLevel.TECHNICIAN and first_top_year is None:
                            first_top_year = issued_on.year
                ctx.stats["certificates"] += len(ladder)

            # Craftsman titles for a few long-serving top-skill workers; once per title.
            chance = AWARD_CHANCE.get(skill_level or 0, 0)
            if chance and age >= 35 and first_top_year and rand() < chance:
                first_year = max(2016, first_top_year + 1)
                if first_year <= ctx.as_of.year:
                    year = first_year + int(rand() * (ctx.as_of.year - first_year + 1))
                    granted = []
                    if province_titles and skill_level >= SkillLevel.SENIOR_TECHNICIAN and rand() < 0.25:
                        granted.append((province_titles[int(rand() * len(province_titles))], year))
                        if city_titles and year > first_year and rand() < 0.5:
                            granted.append((city_titles[0], first_year + int(rand() * (year - first_year))))
                    elif city_titles:
                        granted.append((city_titles[int(rand() * len(city_titles))], year))
                    for title_id, title_year in granted:
                        roll = rand()
                        nominated = (
                            Nomination.EMPLOYER
                            if roll < 0.8
                            else Nomination.SELF
                            if roll < 0.92
                            else Nomination.PUBLIC
                        )
                        awards.append((worker_id, title_id, title_year, rand() < 0.6, nominated.value, ""))
                        ctx.stats["awards"] += 1

            workers.append((
                worker_id, name, id_number, ids.birth_date(born), "M" if male else "F", phone, bank,
                enterprise_id, district_id, occupation, position, education, union_member, hired_on, left_on,
                skill_level, stamp, stamp,
            ))  # fmt: skip
            stats = ctx.stats
            stats["workers"] += 1
            stats["workers_employed"] += not left
            stats["workers_non_public"] += not flags & EnterprisePlan.PUBLIC
            stats["workers_with_certificate"] += target > 0
            stats["skilled"] += skill_level is not None and skill_level >= SKILLED_MIN_LEVEL
            stats["high_skill"] += skill_level is not None and skill_level >= HIGH_SKILL_MIN_LEVEL
            stats["apprentices"] += skill_level == SkillLevel.APPRENTICE
            worker_id += 1
            done += 1
            if len(workers) >= ctx.batch_size:
                flush()
    if workers:
        flush()
    ctx.stats["employments"] = ctx.stats["employments_closed"] + done


SEED_STEPS = [
    SeedStep("enterprises", ("workers.Enterprise",), enterprises_generate),
    SeedStep(
        "workers",
        ("workers.Worker", "workers.Employment", "workers.SkillCertificate", "workers.CraftsmanAward"),
        workers_generate,
    ),
]


# --- Writers: COPY on PostgreSQL, bulk_create elsewhere -------------------------------------------------------


class Writer:
    """Takes rows (tuples of attribute values, personal data in clear) and stores them; counts and times.

    Values must be plain: str and int rather than Enum members (psycopg dumps an Enum by its name), JSON
    wrapped in psycopg.types.json.Jsonb. Encrypted fields get clear text; their hash columns are left out.
    """

    def __init__(self, db) -> None:
        self.db = db
        self.rows = Counter()  # model label -> rows written
        self.seconds = Counter()  # model label -> seconds spent encrypting and writing

    @property
    def rows_written(self) -> int:
        return sum(self.rows.values())

    def write(self, model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple]) -> None:
        if not rows:
            return
        started = time.perf_counter()
        self._write(model, fields, rows)
        self.rows[model._meta.label] += len(rows)
        self.seconds[model._meta.label] += time.perf_counter() - started

    def _write(self, model, fields, rows) -> None:
        raise NotImplementedError

    def reserve_ids(self, model: type[models.Model], count: int) -> int:
        """The first of `count` consecutive primary keys nobody else will use; children can refer to them."""
        raise NotImplementedError

    def lock(self, models_: Sequence[type[models.Model]]) -> None:
        """Keep other sessions out of these tables until the transaction ends."""

    @contextlib.contextmanager
    def bulk_load(self, models_: Sequence[type[models.Model]], *, clear: bool) -> Iterator[None]:
        """Around the whole load: empty the tables first if `clear`; rebuild what needs rebuilding after."""
        raise NotImplementedError

    def after_commit(self, models_: Sequence[type[models.Model]]) -> None:
        """Housekeeping that cannot run inside a transaction."""


class DjangoWriter(Writer):
    """bulk_create through the models (SQLite, the demo size): the fields encrypt and hash as usual.

    Django stamps auto_now columns (created_at, updated_at) with the current time here, not the fixed one.
    """

    def __init__(self, db) -> None:
        super().__init__(db)
        self.next_ids: dict[type[models.Model], int] = {}

    def _write(self, model, fields, rows) -> None:
        model._base_manager.using(self.db.alias).bulk_create(
            [model(**dict(zip(fields, row, strict=True))) for row in rows]
        )

    def reserve_ids(self, model, count) -> int:
        highest = model._base_manager.using(self.db.alias).aggregate(highest=models.Max("pk"))["highest"] or 0
        first = max(highest + 1, self.next_ids.get(model, 1))
        self.next_ids[model] = first + count
        return first

    @contextlib.contextmanager
    def bulk_load(self, models_, *, clear):
        if clear:
            for model in reversed(models_):  # children first: the registry's own PROTECT relations
                model._base_manager.using(self.db.alias).all().delete()
        yield


class PostgresCopyWriter(Writer):
    """COPY ... FROM STDIN (FORMAT BINARY) through psycopg 3, inside Django's transaction.

    The load drops the tables' secondary indexes and their unique and foreign-key constraints and builds them
    again at the end (PostgreSQL's own advice for populating a database): keeping ten indexes on
    workers_worker up to date row by row, most of them on random hashes, made COPY about 8 times slower.
    It all happens in the one transaction, so a failure leaves the old schema and data untouched.
    """

    def __init__(self, db) -> None:
        super().__init__(db)
        db.ensure_connection()
        self.pg = db.connection  # the psycopg.Connection under Django's, in the same transaction
        self.plans: dict[tuple[type[models.Model], tuple[str, ...]], _CopyPlan] = {}

    def _plan(self, model, fields) -> _CopyPlan:
        key = (model, tuple(fields))
        if key not in self.plans:
            self.plans[key] = _CopyPlan.build(self.pg, model, fields)
        return self.plans[key]

    def _write(self, model, fields, rows) -> None:
        plan = self._plan(model, fields)
        with self.pg.cursor() as cursor, cursor.copy(plan.statement) as copy:
            copy.set_types(plan.types)
            write_row = copy.write_row
            for row in plan.prepare(rows):
                write_row(row)

    def reserve_ids(self, model, count) -> int:
        if count <= 0:
            return 1
        table, pk = model._meta.db_table, model._meta.pk.column
        with self.pg.cursor() as cursor:
            # The tables are locked, so nothing else draws from the sequence in between.
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, %s), nextval(pg_get_serial_sequence(%s, %s)) + %s - 1)",
                [table, pk, table, pk, count],
            )
            return cursor.fetchone()[0] - count + 1

    def lock(self, models_) -> None:
        from psycopg import sql

        # Exclusive: the load drops and rebuilds indexes, so even readers must wait.
        with self.pg.cursor() as cursor:
            cursor.execute(
                sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(
                    sql.SQL(", ").join(sql.Identifier(m._meta.db_table) for m in models_)
                )
            )

    @contextlib.contextmanager
    def bulk_load(self, models_, *, clear):
        from psycopg import sql

        tables = [m._meta.db_table for m in models_]
        with self.pg.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            # ALTER TABLE refuses while deferred foreign-key checks of earlier writes in this transaction
            # are pending; run them now (and the rest of the transaction's checks as they happen).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            # Foreign keys from other tables matter only to TRUNCATE, which refuses while they exist.
            cursor.execute(
                """
                SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype
                FROM pg_constraint
                WHERE (conrelid = ANY(%(t)s::regclass[]) AND contype IN ('f', 'u', 'x'))
                   OR (%(clear)s AND contype = 'f' AND confrelid = ANY(%(t)s::regclass[]))
                ORDER BY contype <> 'f', conrelid::regclass::text, conname
                """,
                {"t": tables, "clear": clear},
            )
            constraints = cursor.fetchall()
            cursor.execute(
                """
                SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                FROM pg_index i
                WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                                  WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))
                ORDER BY 1
                """,
                [tables],
            )
            indexes = cursor.fetchall()
            for table, name, _, _ in constraints:  # foreign keys first: they may depend on unique ones
                cursor.execute(
                    sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.SQL(table), sql.Identifier(name))
                )
            for index, _ in indexes:
                cursor.execute(sql.SQL("DROP INDEX {}").format(sql.SQL(index)))
            if clear:
                cursor.execute(
                    sql.SQL("TRUNCATE {} RESTART IDENTITY").format(
                        sql.SQL(", ").join(map(sql.Identifier, tables))
                    )
                )
        yield
        started = time.perf_counter()
        with self.pg.cursor() as cursor:
            for _, definition in indexes:
                cursor.execute(definition)
            for table, name, definition, _ in reversed(constraints):  # unique ones before the foreign keys
                cursor.execute(
                    sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                        sql.SQL(table), sql.Identifier(name), sql.SQL(definition)
                    )
                )
            cursor.execute(sql.SQL("ANALYZE {}").format(sql.SQL(", ").join(map(sql.Identifier, tables))))
        self.seconds["indexes and constraints"] += time.perf_counter() - started

    def after_commit(self, models_) -> None:
        from psycopg import sql

        if self.db.in_atomic_block:
            return
        started = time.perf_counter()
        # Sets hint bits and the visibility map now, so the first queries (and index-only scans) are fast.
        with self.pg.cursor() as cursor:
            cursor.execute(
                sql.SQL("VACUUM {}").format(
                    sql.SQL(", ").join(sql.Identifier(m._meta.db_table) for m in models_)
                )
            )
        self.seconds["vacuum"] += time.perf_counter() - started


@dataclass
class _CopyPlan:
    statement: object
    types: list[int]
    encrypted: list[int]
    hashes: list[tuple[BlindIndexField, int]]

    @classmethod
    def build(cls, pg, model, fields) -> _CopyPlan:
        from psycopg import sql

        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        model_fields = [by_attname[name] for name in fields]
        encrypted = [i for i, f in enumerate(model_fields) if isinstance(f, EncryptedTextField)]
        hashes = [
            (f, fields.index(f.source))
            for f in model._meta.concrete_fields
            if isinstance(f, BlindIndexField) and f.source in fields and f.attname not in fields
        ]
        columns = [f.column for f in model_fields] + [f.column for f, _ in hashes]
        with pg.cursor() as cursor:
            cursor.execute(
                "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0",
                [model._meta.db_table],
            )
            oids = dict(cursor.fetchall())
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
            sql.Identifier(model._meta.db_table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        return cls(statement, [oids[c] for c in columns], encrypted, hashes)

    def prepare(self, rows: Sequence[tuple]) -> Iterator[tuple]:
        """Encrypt and hash column by column, as EncryptedTextField and BlindIndexField would."""
        if not self.encrypted and not self.hashes:
            return iter(rows)
        columns = list(zip(*rows, strict=True))
        # The field's own index_for, so that worker_by_id_number finds what COPY wrote.
        extra = [[f.index_for(value) for value in columns[source]] for f, source in self.hashes]
        for i in self.encrypted:
            columns[i] = crypto.encrypt_many(columns[i])
        return zip(*columns, *extra, strict=True)


def writer_for(db) -> Writer:
    return PostgresCopyWriter(db) if db.vendor == "postgresql" else DjangoWriter(db)


# --- Running the steps --------------------------------------------------------------------------------------


class SeedError(Exception):
    """The city cannot be seeded as asked; the message says why."""


class RegistryNotEmpty(SeedError):
    def __init__(self, counts: dict[str, int]):
        self.counts = counts
        super().__init__(", ".join(f"{label}: {count:,}" for label, count in counts.items()))


class RegistryInUse(SeedError):
    """Rows outside the seeded models refer to registry rows, and deleting them is not ours to decide."""


def _release_references(models_: Sequence[type[models.Model]]) -> None:
    """Before --reset: null the references other tables may lose (users' worker records); refuse the rest."""
    owned = set(models_)
    for model in models_:
        # The relations Django's own delete collector follows, hidden ones (related_name="+") included.
        for relation in model._meta.get_fields(include_hidden=True):
            if not (
                relation.auto_created
                and not relation.concrete
                and (relation.one_to_many or relation.one_to_one)
            ):
                continue
            related = relation.related_model
            if related in owned:
                continue
            name = relation.field.name
            referring = related._base_manager.filter(**{f"{name}__isnull": False})
            if relation.on_delete is models.SET_NULL:
                referring.update(**{name: None})
            elif referring.exists():
                raise RegistryInUse(
                    f"{related._meta.label}.{name} refers to {model._meta.label} rows; delete those rows first, "
                    f"or give {related._meta.app_label}.synthetic a seed step that owns {related._meta.label}."
                )


def city_seed(
    *,
    workers: int,
    seed: int = 1,
    as_of: datetime.date = DEFAULT_AS_OF,
    batch_size: int = DEFAULT_BATCH_SIZE,
    reset: bool = False,
    progress: Callable[[str], None] = print,
    steps: Sequence[SeedStep] | None = None,
) -> dict:
    """Generate the synthetic city into an empty registry (or replace it with reset=True), in one transaction."""
    from portal.audit import audit_record
    from portal.models import District

    steps = collect_steps() if steps is None else list(steps)
    models_ = list(dict.fromkeys(apps.get_model(label) for step in steps for label in step.models))
    districts = dict(
        District.objects.filter(code__in=DISTRICT_SHARES).order_by("code").values_list("code", "pk")
    )
    missing = sorted(set(DISTRICT_SHARES) - set(districts))
    if missing:
        raise SeedError(f"Districts {', '.join(missing)} are missing; run `manage.py migrate` first.")
    writer = writer_for(connection)
    started = time.perf_counter()
    with transaction.atomic():
        writer.lock(models_)
        counts = {m._meta.label: n for m in models_ if (n := m._base_manager.count())}
        if counts and not reset:
            raise RegistryNotEmpty(counts)
        if counts:
            _release_references(models_)
        with writer.bulk_load(models_, clear=bool(counts)):
            ctx = SeedContext(
                seed=seed, workers=workers, as_of=as_of, batch_size=batch_size, districts=districts,
                writer=writer, progress=progress, started=started,
            )  # fmt: skip
            for step in steps:
                step.run(ctx)
        audit_record(
            actor=None,
            action="registry.seed",
            summary=f"seed_city: {workers} workers, seed {seed}, as of {as_of}",
            data={"workers": workers, "seed": seed, "as_of": str(as_of), "rows": dict(writer.rows)},
        )
    writer.after_commit(models_)
    elapsed = time.perf_counter() - started
    stats = ctx.stats
    return {
        "rows": dict(writer.rows),
        "seconds": dict(writer.seconds),
        "elapsed": elapsed,
        "rows_per_second": writer.rows_written / max(elapsed, 1e-9),
        "replaced": counts,
        "stats": dict(stats),
        "non_public_share": stats["workers_non_public"] / max(stats["workers"], 1),
        "skilled_share": stats["skilled"] / max(stats["workers"], 1),
        "high_skill_share_of_skilled": stats["high_skill"] / max(stats["skilled"], 1),
        "worker_ids": {code: ctx.worker_ids.get(pk) for code, pk in districts.items()},
    }
