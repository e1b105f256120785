"""seed_city: the synthetic city's size, shape and rules, its determinism, and --reset / refusal."""

import datetime
import hashlib
import io
import itertools
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Max, OuterRef, Q, Subquery

from portal.models import AuditEvent, District
from seed import city, registry
from seed.steps import SeedContext
from seed.writers import PostgresCopyWriter, Writer, writer_for
from tests.factories import UserFactory
from workers.choices import SkillLevel
from workers.models import CraftsmanAward, Employment, Enterprise, SkillCertificate, Worker
from workers.services import worker_by_id_number
from workers.skills import valid_on_q
from workers.validators import (
    normalise_id_number,
    validate_bank_account,
    validate_hire_age,
    validate_id_number,
    validate_phone,
    validate_uscc,
)

N = 2_000
SEED = 7
AS_OF = city.DEFAULT_AS_OF


@pytest.fixture(scope="module")
def city(django_db_setup, django_db_blocker):
    """One city of N workers for the whole module, committed; each test's own changes roll back."""
    from tests.conftest import _restore_reference_data

    out = io.StringIO()
    with django_db_blocker.unblock():
        _restore_reference_data()  # an earlier transactional test may have flushed the districts
        call_command("seed_city", workers=N, seed=SEED, batch_size=700, stdout=out)
    yield out.getvalue()
    with django_db_blocker.unblock():
        call_command("seed_city", workers=0, reset=True, stdout=io.StringIO())
        AuditEvent.objects.filter(action="registry.seed").delete()


class RecordingWriter(Writer):
    """Keeps a digest of every table's rows and the worker and enterprise rows, without a database."""

    def __init__(self):
        super().__init__(connection)
        self.digests = {}
        self.next_ids = Counter()
        self.workers = []
        self.credit_codes = {}

    def reserve_ids(self, model, count):
        first = self.next_ids[model] + 1
        self.next_ids[model] += count
        return first

    def _write(self, model, fields, rows):
        digest = self.digests.setdefault(model._meta.label, hashlib.sha256())
        for row in rows:
            digest.update(repr(row).encode())
        if model is Worker:
            self.workers.extend(dict(zip(fields, row, strict=True)) for row in rows)
        if model is Enterprise:
            self.credit_codes.update((row[0], row[2]) for row in rows)

    def checksum(self) -> str:
        # Per table: the batch size changes how writes to different tables interleave, not their rows.
        return hashlib.sha256(
            repr(sorted((k, d.hexdigest()) for k, d in self.digests.items())).encode()
        ).hexdigest()


def generate(*, workers=N, seed=SEED, batch_size=700) -> tuple[RecordingWriter, SeedContext]:
    writer = RecordingWriter()
    ctx = SeedContext(
        seed=seed,
        workers=workers,
        as_of=AS_OF,
        batch_size=batch_size,
        districts=dict(District.objects.order_by("code").values_list("code", "pk")),
        writer=writer,
        progress=lambda message: None,
    )
    for step in registry.SEED_STEPS:
        step.run(ctx)
    return writer, ctx


def share(part: int, whole: int) -> float:
    return 100 * part / whole


# --- Size and shape --------------------------------------------------------------------------------------


def test_the_city_has_the_workers_asked_for_and_about_one_enterprise_per_17(city, db):
    assert Worker.objects.count() == N
    assert abs(Enterprise.objects.count() - N / 17) <= 0.1 * N / 17


def test_district_sizes_follow_the_city_shares(city, db):
    counts = dict(Worker.objects.values_list("district__code").annotate(n=Count("id")))
    for code, weight in registry.DISTRICT_SHARES.items():
        assert abs(counts[code] - weight * N) <= 1, code
    assert counts["330212"] > counts["330205"]  # Yinzhou larger than Jiangbei


def test_shares_match_the_report(city, db):
    workers = Worker.objects.aggregate(
        non_public=Count("id", filter=Q(enterprise__ownership="non_public")),
        skilled=Count("id", filter=Q(skill_level__gte=SkillLevel.JUNIOR)),
        high=Count("id", filter=Q(skill_level__gte=SkillLevel.SENIOR)),
        apprentices=Count("id", filter=Q(skill_level=SkillLevel.APPRENTICE)),
        in_above_scale=Count("id", filter=Q(enterprise__above_scale=True)),
    )
    assert share(workers["non_public"], N) == pytest.approx(80, abs=3)
    assert share(workers["skilled"], N) == pytest.approx(56, abs=4)
    assert share(workers["high"], workers["skilled"]) == pytest.approx(32, abs=4)
    assert workers["apprentices"] > 0
    firms = Enterprise.objects.aggregate(
        total=Count("id"),
        above=Count("id", filter=Q(above_scale=True)),
        above_with_union=Count("id", filter=Q(above_scale=True, union_established_on__isnull=False)),
        pilots=Count("id", filter=~Q(pilot_level="none")),
    )
    assert 15 <= share(firms["above"], firms["total"]) <= 20
    # Above-scale firms are the bigger ones: they employ far more than their share of firms.
    assert share(workers["in_above_scale"], N) > 2 * share(firms["above"], firms["total"])
    assert share(firms["above_with_union"], firms["above"]) > 80
    assert share(firms["pilots"], firms["total"]) < 5


def test_enterprise_sizes_are_skewed_many_small_few_large(city, db):
    sizes = sorted(Enterprise.objects.annotate(n=Count("workers")).values_list("n", flat=True))
    median = sizes[len(sizes) // 2]
    assert median < 17 < max(sizes) / 5


# --- Identifiers -------------------------------------------------------------------------------------------


def test_every_id_number_is_valid_unique_and_agrees_with_birth_date_gender_and_hire_age(city, db):
    numbers = set()
    provinces = Counter()
    for worker in Worker.objects.all():
        number = worker.id_number
        assert normalise_id_number(number) == number
        birth_date, gender = validate_id_number(number, today=AS_OF)
        assert (birth_date, gender) == (worker.birth_date, worker.gender)
        age = AS_OF.year - birth_date.year - ((AS_OF.month, AS_OF.day) < (birth_date.month, birth_date.day))
        assert 18 <= age <= 60
        validate_hire_age(birth_date, worker.hired_on)
        numbers.add(number)
        provinces[number[:2]] += 1
    assert len(numbers) == N
    # Mostly migrants, from many provinces; Ningbo's own retired codes appear too.
    local = sum(1 for n in numbers if n.startswith("3302"))
    assert share(local, N) < 45
    assert len(provinces) >= 10
    assert any(n[:6] in {"330204", "330283", "330227"} for n in numbers)


def test_phones_and_bank_accounts_are_valid_and_phones_unique(city, db):
    phones = []
    accounts = 0
    for phone, account in Worker.objects.values_list("phone", "bank_account"):
        if phone is not None:
            validate_phone(phone)
            phones.append(phone)
        if account is not None:
            validate_bank_account(account)
            accounts += 1
    assert len(set(phones)) == len(phones) > 0.9 * N
    assert 0.3 * N < accounts < 0.6 * N


def test_every_credit_code_is_valid_and_unique(city, db):
    codes = list(Enterprise.objects.values_list("credit_code", flat=True))
    for code in codes:
        validate_uscc(code)
    assert len(set(codes)) == len(codes)


def test_worker_by_id_number_finds_seeded_workers(city, db):
    for worker in Worker.objects.order_by("?")[:20]:
        assert worker_by_id_number(worker.id_number) == worker
        assert worker_by_id_number(f" {worker.id_number.lower()} ") == worker
        field = Worker._meta.get_field("id_number_hash")
        assert worker.id_number_hash == field.index_for(worker.id_number)
        if worker.phone:
            assert worker.phone_hash == Worker._meta.get_field("phone_hash").index_for(worker.phone)


# --- Careers -----------------------------------------------------------------------------------------------


def test_a_worker_counts_in_the_district_of_their_enterprise(city, db):
    assert not Worker.objects.exclude(district=F("enterprise__district")).exists()
    assert not Employment.objects.exclude(district=F("enterprise__district")).exists()


def test_each_employed_worker_has_one_open_employment_at_their_enterprise(city, db):
    open_spells = Employment.objects.filter(ended_on__isnull=True)
    employed = Worker.objects.filter(left_on__isnull=True)
    assert open_spells.count() == employed.count() > 0.9 * N
    assert not employed.exclude(
        pk__in=open_spells.filter(
            worker=OuterRef("pk"), enterprise=OuterRef("enterprise"), started_on=OuterRef("hired_on")
        ).values("worker")
    ).exists()
    leavers = Worker.objects.filter(left_on__isnull=False)
    assert leavers.exists()
    assert not open_spells.filter(worker__in=leavers).exists()
    assert not leavers.exclude(
        pk__in=Employment.objects.filter(
            worker=OuterRef("pk"), enterprise=OuterRef("enterprise"), ended_on=OuterRef("left_on")
        ).values("worker")
    ).exists()


def test_earlier_employers_are_closed_spells_that_do_not_overlap(city, db):
    spells = {}
    for worker_id, started_on, ended_on in Employment.objects.order_by("worker", "started_on").values_list(
        "worker", "started_on", "ended_on"
    ):
        spells.setdefault(worker_id, []).append((started_on, ended_on))
    movers = [s for s in spells.values() if len(s) > 1]
    assert 0.2 * N < len(movers) < 0.6 * N
    assert any(len(s) == 3 for s in movers)
    births = dict(Worker.objects.values_list("pk", "birth_date"))
    for worker_id, history in spells.items():
        validate_hire_age(births[worker_id], history[0][0])
        for (_, ended_on), (next_start, _) in itertools.pairwise(history):
            assert ended_on is not None and ended_on <= next_start


# --- Certificates and awards -------------------------------------------------------------------------------


def test_skill_level_is_the_highest_certificate_valid_on_the_reference_date(city, db):
    best = (
        SkillCertificate.objects.filter(valid_on_q(AS_OF), worker=OuterRef("pk"))
        .order_by()
        .values("worker")
        .annotate(best=Max("level"))
        .values("best")
    )
    stored = dict(Worker.objects.values_list("pk", "skill_level"))
    fresh = dict(Worker.objects.annotate(best=Subquery(best)).values_list("pk", "best"))
    assert stored == fresh
    # The case that makes this worth testing: some top certificates were revoked.
    assert SkillCertificate.objects.filter(
        revoked_on__isnull=False, level__gt=F("worker__skill_level")
    ).exists()


def test_certificates_are_spread_over_the_years_and_a_few_are_revoked(city, db):
    certificates = SkillCertificate.objects.all()
    total = certificates.count()
    revoked = certificates.filter(revoked_on__isnull=False)
    assert 1 <= share(revoked.count(), total) <= 6
    assert not revoked.filter(Q(revoked_on__lt=F("issued_on")) | Q(revoked_on__gt=AS_OF)).exists()
    assert not certificates.filter(issued_on__gt=AS_OF).exists()
    assert certificates.dates("issued_on", "year").count() >= 15
    assert Worker.objects.annotate(n=Count("certificates")).filter(n__gt=1).count() > 0.1 * N
    assert len(set(certificates.values_list("number", flat=True))) == total
    for issued_on, birth_date in certificates.values_list("issued_on", "worker__birth_date"):
        assert (issued_on - birth_date).days > 16 * 365


def test_craftsman_awards_go_to_a_few_long_serving_top_skill_workers(db):
    # Too rare to show in the module's 2,000 workers reliably; 30,000 are generated without a database.
    _, ctx = generate(workers=30_000)
    assert 10 <= ctx.stats["awards"] <= 300


def test_seeded_awards_are_unique_per_worker_title_and_year_and_held_by_technicians_or_above(city, db):
    awards = CraftsmanAward.objects.select_related("worker")
    assert awards.values("worker", "title", "year").distinct().count() == awards.count()
    for award in awards:
        assert award.worker.skill_level >= SkillLevel.TECHNICIAN
        assert 2016 <= award.year <= AS_OF.year


# --- Determinism ---------------------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_city_whatever_the_batch_size(db):
    first, _ = generate(batch_size=700)
    second, _ = generate(batch_size=50_000)
    other, _ = generate(seed=SEED + 1)
    assert first.checksum() == second.checksum()
    assert first.checksum() != other.checksum()
    assert first.rows == second.rows


def test_the_database_holds_exactly_what_the_generator_produces(city, db):
    def checksum(rows) -> str:
        return hashlib.sha256(repr(list(rows)).encode()).hexdigest()

    writer, _ = generate()
    expected = checksum(
        (w["name"], normalise_id_number(w["id_number"]), writer.credit_codes[w["enterprise_id"]])
        for w in writer.workers
    )
    stored = checksum(
        (w.name, normalise_id_number(w.id_number), w.enterprise.credit_code)
        for w in Worker.objects.select_related("enterprise").order_by("id")
    )
    assert stored == expected


# --- The command -------------------------------------------------------------------------------------------


def test_the_command_reports_progress_and_a_summary(city):
    assert "rows/s" in city
    assert "skilled" in city and "high-skill share of skilled" in city
    assert "workers.Worker" in city


def test_a_non_empty_registry_is_refused_without_reset(city, db):
    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_city", workers=10, stdout=io.StringIO())
    assert Worker.objects.count() == N


def test_if_empty_leaves_a_filled_registry_alone(city, db):
    out = io.StringIO()
    call_command("seed_city", workers=10, if_empty=True, stdout=out)
    assert "nothing seeded" in out.getvalue()
    assert Worker.objects.count() == N


def test_reset_replaces_the_city_and_unlinks_user_accounts(city, db):
    user = UserFactory(username="seeded_worker", worker=Worker.objects.first())
    call_command("seed_city", workers=300, seed=2, reset=True, stdout=io.StringIO())
    assert Worker.objects.count() == 300
    assert Enterprise.objects.count() == pytest.approx(300 / 17, abs=2)
    user.refresh_from_db()
    assert user.worker is None
    event = AuditEvent.objects.get(action="registry.seed", data__workers=300)
    # The audit log's summary is in the portal's language (the command runs in LANGUAGE_CODE).
    assert event.summary.startswith("合成城市：300 名职工")


def test_a_reference_date_in_the_future_is_refused(db):
    with pytest.raises(CommandError, match="future"):
        call_command("seed_city", workers=10, as_of=datetime.date(2999, 1, 1), stdout=io.StringIO())


# --- The PostgreSQL COPY path ------------------------------------------------------------------------------


def _schema(tables):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[])",
            [tables],
        )
        indexes = set(cursor.fetchall())
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = ANY(%s::regclass[]) OR confrelid = ANY(%s::regclass[])",
            [tables, tables],
        )
        return indexes, set(cursor.fetchall())


@pytest.mark.postgres
def test_copy_rebuilds_every_index_and_constraint_it_dropped(city, db):
    assert isinstance(writer_for(connection), PostgresCopyWriter)
    tables = [m._meta.db_table for m in (Enterprise, Worker, Employment, SkillCertificate, CraftsmanAward)]
    before = _schema(tables)
    assert len(before[0]) > 20 and len(before[1]) > 10
    call_command("seed_city", workers=500, seed=3, reset=True, stdout=io.StringIO())
    assert _schema(tables) == before
    assert Worker.objects.count() == 500
    # TRUNCATE ... RESTART IDENTITY: a reset city is numbered from 1 again.
    assert Worker.objects.order_by("id").values_list("id", flat=True)[0] == 1


@pytest.mark.postgres
def test_copy_stores_ciphertext_and_the_hashes_the_model_fields_compute(city, db):
    worker = Worker.objects.order_by("?").first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, id_number_hash FROM workers_worker WHERE id = %s", [worker.pk])
        token, digest = cursor.fetchone()
    assert worker.id_number.encode() not in bytes(token)
    assert digest == Worker._meta.get_field("id_number_hash").index_for(worker.id_number)
    assert worker_by_id_number(worker.id_number) == worker
