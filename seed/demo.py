"""The demo for `make run` (seed_demo): accounts with published passwords, and a handful of records; idempotent.

The accounts: a city clerk, a Beilun clerk and official, a worker, two payment clerks (one sends a batch,
the other reconciles it) and an account administrator, with published authenticator keys for those who
need two-factor sign-in (seed/totp.py). The records: five enterprises and six workers with certificates
and an award, written through the registry's services; the demo worker's year and the payment office's
work (seed/demo_workers.py); this year's headline figures as the report has them (seed/demo_city.py);
targets for every indicator and district (seed/targets.py); then the indicators of recent periods.
"""

import datetime

from django.contrib.auth.models import Group

from portal.accounts.rights import requires_two_factor
from portal.accounts.two_factor import secret_base32
from portal.choices import Role
from portal.models import District, User
from portal.roles import PAYMENT_STAFF, USER_ADMIN, sync_roles
from seed.demo_city import demo_committees, demo_skill_share, demo_transferred_cases
from seed.demo_workers import demo_worker_story
from seed.identifiers import demo_credit_code, demo_id_number
from seed.targets import demo_targets
from seed.totp import demo_totp_device
from workers import services
from workers.choices import Nomination, SkillLevel
from workers.models import CraftsmanTitle, Enterprise, SkillCertificate, Worker

D = datetime.date

# Known passwords are fine on a laptop demo and nowhere else: seed_demo refuses when DEBUG=0.
DEMO_ACCOUNTS = [
    ("city_clerk", "demo-city-2026", Role.CITY_STAFF, None, "市总工会 工作人员"),
    ("beilun_clerk", "demo-beilun-2026", Role.DISTRICT_STAFF, "330206", "北仑区总工会 工作人员"),
    ("beilun_official", "demo-official-2026", Role.DISTRICT_OFFICIAL, "330206", "北仑区 领导"),
    ("worker_zhang", "demo-worker-2026", Role.WORKER, None, "张金达"),
    # Payment staff: one sends a batch to the bank, the other reconciles the bank's answer (never the same).
    ("pay_sender", "demo-pay-2026", Role.CITY_STAFF, None, "市总工会 出纳（发送）"),
    ("pay_reconciler", "demo-pay-2026", Role.CITY_STAFF, None, "市总工会 出纳（对账）"),
    # Creates accounts, issues password links, gives duties.
    ("account_admin", "demo-admin-2026", Role.CITY_STAFF, None, "市总工会 用户管理员"),
]
#: Duties of the demo accounts (on top of their role).
DEMO_DUTIES = {
    "pay_sender": [PAYMENT_STAFF],
    "pay_reconciler": [PAYMENT_STAFF],
    "account_admin": [USER_ADMIN],
}

ENTERPRISES = [
    # name, district, serial, above scale, union since, pilot
    ("宁波隆源精密机械有限公司", "330206", 1, True, D(2012, 5, 1), "province"),
    ("宁波铭匠扎啤设备有限公司", "330212", 2, True, D(2015, 9, 1), "city"),
    ("爱柯迪股份有限公司", "330212", 3, True, D(2008, 3, 1), "province"),
    ("宁波海曙小微五金厂", "330203", 4, False, None, "none"),
    ("舜宇集团有限公司", "330281", 5, True, D(2002, 7, 1), "province"),
]

WORKERS = [
    # name, enterprise index, ID area, birth, sequence, hired, occupation, position, certificates
    (
        "张金达",
        0,
        "230103",
        "19960412",
        151,
        D(2019, 3, 1),
        "数控车工",
        "车间主任",
        [(SkillLevel.INTERMEDIATE, D(2020, 6, 1)), (SkillLevel.SENIOR, D(2022, 6, 1))],
    ),
    (
        "武肖鹏",
        1,
        "330227",
        "19820915",
        113,
        D(2010, 4, 1),
        "装配钳工",
        "工会主席",
        [(SkillLevel.TECHNICIAN, D(2016, 11, 1))],
    ),
    (
        "李秀英",
        2,
        "510125",
        "19900101",
        224,
        D(2014, 8, 15),
        "压铸工",
        "班组长",
        [(SkillLevel.JUNIOR, D(2015, 5, 1)), (SkillLevel.SENIOR, D(2019, 5, 1))],
    ),
    (
        "王强",
        3,
        "330282",
        "19730720",
        175,
        D(2005, 2, 1),
        "焊工",
        "",
        [(SkillLevel.SENIOR_TECHNICIAN, D(2012, 12, 1))],
    ),
    ("陈丽", 4, "360102", "19981103", 88, D(2020, 7, 1), "光学元件加工工", "", []),
    (
        "赵磊",
        0,
        "410105",
        "20000202",
        31,
        D(2021, 9, 1),
        "数控铣工",
        "学徒",
        [(SkillLevel.APPRENTICE, D(2022, 3, 1))],
    ),
]


def demo_registry() -> None:
    districts = {d.code: d for d in District.objects.all()}
    firms = []
    for name, code, serial, above, union, pilot in ENTERPRISES:
        firm = Enterprise.objects.filter(name=name).first() or services.enterprise_register(
            by=None,
            name=name,
            credit_code=demo_credit_code(code, serial),
            district_id=districts[code].pk,
            above_scale=above,
            union_established_on=union,
            pilot_level=pilot,
        )
        firms.append(firm)
    for n, (name, firm_index, area, birth, seq, hired, occupation, position, certificates) in enumerate(
        WORKERS
    ):
        number = demo_id_number(area, birth, seq)
        worker = services.worker_by_id_number(number) or services.worker_register(
            by=None,
            name=name,
            id_number=number,
            enterprise_id=firms[firm_index].pk,
            hired_on=hired,
            phone=f"1385741{n:04d}",
            occupation=occupation,
            position=position,
            union_member=True,
        )
        for k, (level, issued_on) in enumerate(certificates):
            number = f"DEMO-{worker.pk:04d}-{k}"
            if not SkillCertificate.objects.filter(number=number).exists():
                services.certificate_issue(
                    by=None,
                    worker_id=worker.pk,
                    level=level,
                    occupation=occupation,
                    number=number,
                    issued_on=issued_on,
                    issuing_body="宁波市职业技能鉴定中心",
                )
    master = Worker.objects.filter(name="武肖鹏").first()
    title = CraftsmanTitle.objects.get(name="宁波工匠")
    if master is not None and not master.awards.exists():
        services.award_grant(
            by=None, worker_id=master.pk, title_id=title.pk, year=2021, nominated_by=Nomination.EMPLOYER
        )


def demo_accounts() -> list[tuple[str, str, str, str, str]]:
    """The demo accounts, created or reset: (username, password, role label, duties, authenticator key)."""
    sync_roles()
    rows = []
    for username, password, role, district_code, display_name in DEMO_ACCOUNTS:
        user, _ = User.objects.get_or_create(username=username)
        user.role = role
        user.district = District.objects.get(code=district_code) if district_code else None
        user.first_name = display_name
        user.set_password(password)
        user.save()
        duties = DEMO_DUTIES.get(username, [])
        user.groups.add(*Group.objects.filter(name__in=duties))
        secret = ""
        if requires_two_factor(user):
            # A published authenticator key, like the password: `manage.py demo_totp <user>` shows the code.
            secret = secret_base32(demo_totp_device(user))
        rows.append((username, password, role.label, ", ".join(duties), secret))
    return rows


def demo_periods(today: datetime.date):
    """This year, quarter and month, and enough earlier ones for the dashboards' trend charts."""
    from indicators.periods import Period

    periods = []
    for kind in ("year", "quarter", "month"):
        period = Period.containing(today, kind)
        for _ in range(4 if kind == "year" else 8):
            periods.append(period)
            period = period.previous()
    return periods


def demo_indicators(today: datetime.date, *, recompute: bool = False) -> None:
    """Indicators of the demo periods that have none yet; of every demo period when ``recompute`` (the
    demo has just added records, and an earlier seed_demo may have computed them without)."""
    from indicators import engine
    from indicators.selectors import latest_run

    for period in demo_periods(today):
        if recompute or latest_run(period.code) is None:
            engine.compute_period(period)


def demo_seed(today: datetime.date) -> list[tuple[str, str, str, str, str]]:
    """Everything seed_demo makes: the accounts (returned as demo_accounts returns them), the records,
    the worker account linked to its worker, the demo worker's year (seed/demo_workers.py), this year's
    headline figures (seed/demo_city.py), the targets (seed/targets.py), and the indicators."""
    rows = demo_accounts()
    demo_registry()
    worker = Worker.objects.filter(name="张金达").first()
    User.objects.filter(username="worker_zhang").update(worker=worker)
    names = [name for name, *_rest in ENTERPRISES]
    demo_firms = sorted(
        Enterprise.objects.filter(name__in=names).values_list("pk", "name"), key=lambda f: names.index(f[1])
    )
    added = demo_committees(today, first=[pk for pk, _name in demo_firms])
    added += demo_worker_story(today, worker)
    added += demo_transferred_cases(today)
    added += demo_skill_share(today)
    demo_targets(sorted({period.start.year for period in demo_periods(today)}))
    demo_indicators(today, recompute=bool(added))
    return rows
