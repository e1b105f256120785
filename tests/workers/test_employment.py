"""The employment valid on a date, and a certificate valid on a date: each rule's forms agree on the boundaries.

The queryset method serves the services and the engine's ORM sources, the SQL fragment the engine's
hand-written SQL, the Python check the imports; run on SQLite and (DATABASE_URL) on PostgreSQL.
"""

import datetime

import pytest
from django.db import connection

from tests.factories import EnterpriseFactory, district, register_worker
from workers.choices import SkillLevel
from workers.models import (
    Employment,
    SkillCertificate,
    employment_valid_on,
    employment_valid_on_sql,
)
from workers.skills import certificate_valid_on_sql, valid_on_q

D = datetime.date

DAYS = [
    D(2024, 2, 29),  # the day before every start
    D(2024, 3, 1),  # a start day
    D(2024, 5, 1),  # start and end of the zero-length spell
    D(2024, 6, 29),  # the last day of the closed spell
    D(2024, 6, 30),  # its end day: no longer employed there
    D(2024, 7, 1),  # the future start
    D(2030, 1, 1),  # only the open spells
]


@pytest.fixture
def spells(db):
    """Four workers, one spell each: closed, open-ended, starting later, and zero-length."""
    firm = EnterpriseFactory(district=district("330206"))
    shapes = {
        "closed": (D(2024, 3, 1), D(2024, 6, 30)),
        "open": (D(2024, 3, 1), None),
        "future": (D(2024, 7, 1), None),
        "zero": (D(2024, 5, 1), D(2024, 5, 1)),
    }
    found = {}
    for sequence, (name, (started_on, ended_on)) in enumerate(shapes.items(), start=1):
        worker = register_worker(firm, sequence=sequence, hired_on=D(2020, 1, 1))
        Employment.objects.filter(worker=worker).delete()
        found[name] = Employment.objects.create(
            worker=worker, enterprise=firm, district=firm.district, started_on=started_on, ended_on=ended_on
        )
    return found


def _by_sql(day: datetime.date) -> set[int]:
    table = Employment._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT e.id FROM {table} e WHERE {employment_valid_on_sql('e', 'day')}",  # noqa: S608
            {"day": day},
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_the_queryset_the_sql_fragment_and_the_python_check_select_the_same_employments(spells, day):
    by_queryset = set(Employment.objects.valid_on(day).values_list("pk", flat=True))
    by_python = {e.pk for e in spells.values() if employment_valid_on(e.started_on, e.ended_on, day)}
    assert by_queryset == _by_sql(day) == by_python


def test_an_employment_is_valid_from_its_start_day_up_to_the_day_before_its_end(spells):
    def names(day):
        chosen = set(Employment.objects.valid_on(day).values_list("pk", flat=True))
        return {name for name, e in spells.items() if e.pk in chosen}

    assert names(D(2024, 2, 29)) == set()
    assert names(D(2024, 3, 1)) == {"closed", "open"}
    assert names(D(2024, 5, 1)) == {"closed", "open"}  # a spell that ends the day it starts never holds
    assert names(D(2024, 6, 29)) == {"closed", "open"}
    assert names(D(2024, 6, 30)) == {"open"}
    assert names(D(2024, 7, 1)) == {"open", "future"}


@pytest.fixture
def certificates(spells):
    worker = spells["open"].worker
    shapes = [(D(2024, 3, 1), None), (D(2024, 3, 1), D(2024, 6, 30)), (D(2024, 7, 1), None)]
    return [
        SkillCertificate.objects.create(
            worker=worker,
            number=f"S2024TEST{index:06d}",
            occupation="车工",
            level=SkillLevel.SENIOR,
            issuing_body="宁波市职业技能鉴定中心",
            issued_on=issued_on,
            revoked_on=revoked_on,
        )
        for index, (issued_on, revoked_on) in enumerate(shapes)
    ]


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_certificate_validity_is_the_same_in_the_orm_and_in_the_engine_sql(certificates, day):
    table = SkillCertificate._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE {certificate_valid_on_sql('', 'day')}",  # noqa: S608
            {"day": day},
        )
        by_sql = {row[0] for row in cursor.fetchall()}
    assert set(SkillCertificate.objects.filter(valid_on_q(day)).values_list("pk", flat=True)) == by_sql
