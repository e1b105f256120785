"""A handful of enterprises, workers, certificates and awards for the demo (seed_demo); idempotent."""

import datetime

from portal.models import District
from workers import services
from workers.choices import Nomination, SkillLevel
from workers.models import CraftsmanTitle, Enterprise, SkillCertificate, Worker

D = datetime.date

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def demo_id_number(area: str, birth: str, sequence: int) -> str:
    body = f"{area}{birth}{sequence:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def demo_credit_code(area: str, serial: int) -> str:
    body = f"91{area}{serial:09d}"[:17]
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return body + USCC_ALPHABET[(31 - total % 31) % 31]


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
