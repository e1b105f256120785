"""The registry's FilterSets: each filter narrows correctly, and none can scan or compare personal data."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from portal.fields import EncryptedTextField
from tests.factories import EnterpriseFactory, district, make_credit_code, register_worker
from workers import filters
from workers.choices import Nomination, Ownership, SkillLevel
from workers.models import CraftsmanAward, CraftsmanTitle, Enterprise, SkillCertificate, Worker
from workers.services import award_grant, certificate_issue, certificate_revoke, worker_leave

D = datetime.date
ALL_FILTERSETS = [
    filters.DistrictFilterSet,
    filters.EnterpriseFilterSet,
    filters.WorkerFilterSet,
    filters.EmploymentFilterSet,
    filters.SkillCertificateFilterSet,
    filters.CraftsmanTitleFilterSet,
    filters.CraftsmanAwardFilterSet,
]


def pks(filterset_class, data) -> set[int]:
    filterset = filterset_class(data, queryset=filterset_class._meta.model.objects.all())
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs.values_list("pk", flat=True))


@pytest.fixture
def firms(db):
    plain = EnterpriseFactory(district=district("330206"), name="甬江模具厂", above_scale=False)
    union = EnterpriseFactory(
        district=district("330203"),
        name="甬城电器有限公司",
        union_established_on=D(2019, 1, 1),
        ownership=Ownership.PUBLIC,
        pilot_level="province",
    )
    return plain, union


@pytest.fixture
def workers(firms):
    plain, union = firms
    a = register_worker(plain, sequence=1, name="陈一", education="college", union_member=True)
    b = register_worker(union, sequence=2, name="陈二", phone="13700000002")
    c = register_worker(union, sequence=3, name="林三", phone=None)
    worker_leave(by=None, worker_id=c.pk, left_on=D(2023, 1, 31))
    return a, b, c


def test_enterprise_filters(firms):
    plain, union = firms
    f = filters.EnterpriseFilterSet
    assert pks(f, {"has_union": "true"}) == {union.pk}
    assert pks(f, {"has_union": "false"}) == {plain.pk}
    assert pks(f, {"above_scale": "false"}) == {plain.pk}
    assert pks(f, {"ownership": "public"}) == {union.pk}
    assert pks(f, {"pilot_level": "province"}) == {union.pk}
    assert pks(f, {"district_code": "330206"}) == {plain.pk}
    assert pks(f, {"district": str(district("330203").pk)}) == {union.pk}
    assert pks(f, {"name__startswith": "甬城"}) == {union.pk}
    assert pks(f, {"credit_code": f" {union.credit_code.lower()} "}) == {union.pk}


def test_worker_filters(workers, firms):
    a, b, c = workers
    f = filters.WorkerFilterSet
    assert pks(f, {"employed": "true"}) == {a.pk, b.pk}
    assert pks(f, {"employed": "false"}) == {c.pk}
    assert pks(f, {"union_member": "true"}) == {a.pk}
    assert pks(f, {"education": "college"}) == {a.pk}
    assert pks(f, {"enterprise": str(firms[1].pk)}) == {b.pk, c.pk}
    assert pks(f, {"name__startswith": "陈"}) == {a.pk, b.pk}
    # Personal data is no filter (a query string); the API's lookup action matches it by its hash.
    assert "id_number" not in f.base_filters and "phone" not in f.base_filters


def _blind(field: str, value: str) -> set[int]:
    return set(filters.blind_index_lookup(Worker.objects.all(), field, value).values_list("pk", flat=True))


def test_the_blind_index_lookup_matches_personal_data_however_typed(workers):
    _a, b, c = workers
    assert _blind("phone_hash", "137 0000 0002") == {b.pk}
    assert _blind("id_number_hash", Worker.objects.get(pk=c.pk).id_number.lower()) == {c.pk}


def test_a_value_that_normalises_to_nothing_finds_nobody(workers):
    # A zero-width space survives the form's strip() but not the normaliser: no hash, no rows.
    assert _blind("id_number_hash", "\u200b") == set()
    assert _blind("phone_hash", "\u200b") == set()


def test_skill_level_filters_on_workers_and_certificates(workers):
    a, b, _ = workers
    low = certificate_issue(
        by=None, worker_id=a.pk, level=SkillLevel.INTERMEDIATE, occupation="钳工", number="C-1",
        issued_on=D(2020, 1, 10),
    )  # fmt: skip
    high = certificate_issue(
        by=None, worker_id=b.pk, level=SkillLevel.TECHNICIAN, occupation="电工", number="C-2",
        issued_on=D(2022, 6, 1),
    )  # fmt: skip
    assert pks(filters.WorkerFilterSet, {"skill_level__gte": str(SkillLevel.SENIOR)}) == {b.pk}
    assert pks(filters.WorkerFilterSet, {"skill_level": str(SkillLevel.INTERMEDIATE)}) == {a.pk}
    f = filters.SkillCertificateFilterSet
    assert pks(f, {"skill_level__gte": str(SkillLevel.SENIOR)}) == {high.pk}
    assert pks(f, {"issued_on__gte": "2021-01-01"}) == {high.pk}
    assert pks(f, {"issued_on__lte": "2021-01-01"}) == {low.pk}
    assert pks(f, {"number": "C-1"}) == {low.pk}
    assert pks(f, {"occupation": "电工"}) == {high.pk}
    assert pks(f, {"worker": str(a.pk)}) == {low.pk}

    certificate_revoke(by=None, certificate_id=high.pk, revoked_on=D(2023, 1, 1), reason="复核不合格")
    assert pks(f, {"revoked": "true"}) == {high.pk}
    assert pks(f, {"revoked": "false"}) == {low.pk}
    assert pks(f, {"valid_on": "2022-12-31"}) == {low.pk, high.pk}
    assert pks(f, {"valid_on": str(timezone.localdate())}) == {low.pk}


def test_award_filters(workers):
    a, b, _ = workers
    title = CraftsmanTitle.objects.get(name="宁波工匠")
    old = award_grant(by=None, worker_id=a.pk, title_id=title.pk, year=2019, nominated_by=Nomination.SELF)
    new = award_grant(
        by=None,
        worker_id=b.pk,
        title_id=title.pk,
        year=2023,
        nominated_by=Nomination.EMPLOYER,
        locally_trained=True,
    )
    f = filters.CraftsmanAwardFilterSet
    assert pks(f, {"year": "2019"}) == {old.pk}
    assert pks(f, {"year__gte": "2020"}) == {new.pk}
    assert pks(f, {"locally_trained": "true"}) == {new.pk}
    assert pks(f, {"nominated_by": "self"}) == {old.pk}
    assert pks(f, {"district_code": "330203"}) == {new.pk}
    assert pks(f, {"title": str(title.pk)}) == {old.pk, new.pk}


def test_bad_values_are_errors_not_ignored(db):
    filterset = filters.WorkerFilterSet(
        {"skill_level": "9", "enterprise": "x"}, queryset=Worker.objects.all()
    )
    assert not filterset.is_valid()
    assert set(filterset.errors) == {"skill_level", "enterprise"}


@pytest.mark.parametrize("filterset_class", ALL_FILTERSETS)
def test_no_filter_searches_inside_values_or_touches_ciphertext(filterset_class):
    model = filterset_class._meta.model
    for name, filter_ in filterset_class.base_filters.items():
        # Infix and regex matches cannot use an index: at 3.5 million rows they scan the table.
        assert filter_.lookup_expr not in {
            "contains",
            "icontains",
            "iexact",
            "regex",
            "iregex",
            "endswith",
        }, name
        if filter_.field_name and not filter_.method:
            field = model._meta.get_field(filter_.field_name.split("__")[0])
            assert not isinstance(field, EncryptedTextField), name


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("filterset_class", "data", "index"),
    [
        (filters.WorkerFilterSet, {"name__startswith": "陈"}, "worker_name_prefix"),
        (filters.EnterpriseFilterSet, {"name__startswith": "甬城"}, "enterprise_name_prefix"),
        (filters.EnterpriseFilterSet, {"credit_code": make_credit_code(1)}, "credit_code"),
    ],
)
def test_lookups_can_be_served_by_an_index(workers, filterset_class, data, index):
    # Without ORDER BY: a walk of the primary-key index would satisfy "no Seq Scan" without serving the filter.
    queryset = filterset_class(data, queryset=filterset_class._meta.model.objects.all()).qs.order_by()
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # Tiny test tables make a sequential scan cheapest; forbid it to see whether an index fits.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan" not in plan, plan
    assert index in plan, plan


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("field", "value"), [("id_number_hash", "33020619900101123X"), ("phone_hash", "13700000002")]
)
def test_blind_index_lookups_are_served_by_their_index(workers, field, value):
    queryset = filters.blind_index_lookup(Worker.objects.all(), field, value).order_by()
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan" not in plan, plan
    assert field in plan, plan


def test_the_model_of_every_filterset_is_its_own():
    # One FilterSet per model, named after it: the admin and exports find them by convention.
    models = {fs._meta.model for fs in ALL_FILTERSETS}
    assert models >= {Enterprise, Worker, SkillCertificate, CraftsmanAward, CraftsmanTitle}
    assert all(fs.__name__ == f"{fs._meta.model.__name__}FilterSet" for fs in ALL_FILTERSETS)
