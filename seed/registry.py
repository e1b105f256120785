"""The synthetic city's registry for `seed_city`: enterprises per district, and workers with their careers.

Two steps (seed/steps.py): enterprises, whose worker counts add up to each district's share of the city,
and workers, district by district in batches, each with employment spells and, drawn in the same pass,
certificates and craftsman awards (seed/skills.py). Resident ID numbers and credit codes are valid ones
(seed/identifiers.py).
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import math
import random

from django.apps import apps

from seed.draws import affine, cumulative_shares, date_between, draw, largest_remainder, years_before
from seed.identifiers import IdNumbers, credit_code
from seed.skills import AWARD_FIELDS, CERTIFICATE_FIELDS, Skills
from seed.steps import EnterprisePlan, SeedContext, SeedStep
from workers.choices import (
    Education,
    Ownership,
    PilotLevel,
    SizeBand,
    SkillLevel,
)
from workers.skills import HIGH_SKILL_MIN_LEVEL, SKILLED_MIN_LEVEL

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
# Ages at the reference date, by band: most industrial workers are between 25 and 50.
AGE_BANDS = ((18, 24, 10), (25, 29, 14), (30, 34, 16), (35, 39, 16), (40, 44, 14), (45, 49, 13),
             (50, 54, 11), (55, 60, 6))  # fmt: skip
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
ENTERPRISE_WORD_A = "华恒金鑫博永海天宏盛隆源精瑞泰兴远通达新明德信立东宇"
ENTERPRISE_WORD_B = "力工达源泰丰盛科发创晟特顺凯展诚昌邦利鼎锐成鸿升嘉"
INDUSTRIES = ("精密机械", "模具", "五金制品", "电器", "汽车零部件", "塑料制品", "纺织", "服饰", "电子",
              "轴承", "液压", "压铸", "文具", "家电", "新材料", "光电科技", "化工", "机电", "紧固件",
              "电机", "阀门", "不锈钢制品", "照明电器", "智能装备")  # fmt: skip
ROADS = ("工业路", "科技大道", "兴业路", "创业路", "滨海大道", "明州路", "新城路", "环城北路", "金山路",
         "东环路", "开发区大道", "园区路", "北海路", "长江路", "通途路")  # fmt: skip
PILOT_MEASURES = ("技能等级自主评价", "师带徒津贴", "技能与薪酬挂钩", "职工技能提升计划", "技术工人职务晋升通道",
                  "一线职工创新工作室", "职工学历提升补助")  # fmt: skip

# At most 4 leap days in 16 years, so this many days after birth is always on or after the 16th birthday.
DAYS_TO_16 = 16 * 365 + 4


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


def enterprises_generate(ctx: SeedContext) -> None:
    """Enterprises per district, with worker counts that add up to the district's share of the city."""
    from workers.models import Enterprise

    rng = ctx.rng("enterprises")
    codes = list(ctx.districts)
    worker_counts = largest_remainder(ctx.workers, [DISTRICT_SHARES.get(code, 0) for code in codes])
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
        sizes = largest_remainder(n_workers, [rng.lognormvariate(mu, SIZE_SIGMA) for _ in range(n_firms)])
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
            union_on = date_between(rng, datetime.date(1995 if big else 2005, 1, 1).toordinal(), as_of - 1)
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


def workers_generate(ctx: SeedContext) -> None:
    """Workers district by district, in batches, each with employment spells, certificates and awards."""
    from workers.models import CraftsmanAward, Employment, SkillCertificate, Worker

    rng = ctx.rng("workers")
    rand = rng.random
    as_of = ctx.as_of.toordinal()
    ids = IdNumbers(rng, ctx.as_of)
    first_id = ctx.writer.reserve_ids(Worker, ctx.workers)
    stamp = ctx.timestamp

    def table(pairs):
        values, weights = zip(*pairs, strict=True)
        return values, cumulative_shares(weights)

    surnames, surname_cum = table(zip(SURNAMES, SURNAME_WEIGHTS, strict=True))
    occupations, occupation_cum = table(OCCUPATIONS)
    positions, position_cum = table(POSITIONS)
    educations, education_cum = table((e.value, w) for e, w in EDUCATION)
    bands, band_cum = table(((lo, hi), w) for lo, hi, w in AGE_BANDS)
    provinces, province_cum = table((areas, w) for w, areas in ID_AREAS)
    # (first birth ordinal, number of days) of the people aged exactly `age` on the reference date.
    age_days = {
        age: (
            years_before(ctx.as_of, age + 1).toordinal() + 1,
            years_before(ctx.as_of, age).toordinal() - years_before(ctx.as_of, age + 1).toordinal(),
        )
        for age in range(18, 61)
    }
    if not ctx.workers:
        ctx.worker_ids = {district_id: range(first_id, first_id) for district_id in ctx.enterprises}
        return
    district_ids = list(ctx.enterprises)
    district_cum = cumulative_shares([ctx.worker_counts[d] for d in district_ids])
    codes = {district_id: code for code, district_id in ctx.districts.items()}
    skills = Skills(as_of=ctx.as_of, occupations=occupations, occupation_cum=occupation_cum, stats=ctx.stats)

    workers, employments, certificates, awards = [], [], [], []
    done = 0

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
        a, b = affine(n, rng)
        for j in range(n):
            index = bisect.bisect_right(plan.cumulative, (a * j + b) % n)
            enterprise_id = plan.first_id + index
            flags = plan.flags[index]

            male = rand() < MALE_SHARE
            low, high = draw(rand, bands, band_cum)
            age = low + int(rand() * (high - low + 1))
            first_day, days = age_days[age]
            areas = draw(rand, provinces, province_cum)
            area = areas[int(rand() * len(areas))]
            retired = RETIRED_ID_AREAS.get(area)
            born_guess = first_day + int(rand() * days)
            if retired and datetime.date.fromordinal(born_guess).year >= retired[0]:
                area = retired[1]
            id_number, born = ids.issue(area, born_guess, male)
            given = GIVEN_MALE if male else GIVEN_FEMALE
            name = draw(rand, surnames, surname_cum) + "".join(
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
            occupation = draw(rand, occupations, occupation_cum)
            education = draw(rand, educations, education_cum)
            position = "学徒" if age < 21 and rand() < 0.3 else draw(rand, positions, position_cum)
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
                    other_district = draw(rand, district_ids, district_cum)
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

            target, skill_level, first_top_year = skills.certificates(
                rand,
                worker_id=worker_id,
                age=age,
                start=start,
                occupation=occupation,
                code=code,
                rows=certificates,
            )
            skills.awards(
                rand,
                worker_id=worker_id,
                age=age,
                skill_level=skill_level,
                first_top_year=first_top_year,
                rows=awards,
            )

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
