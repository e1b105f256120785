"""seed.training and seed.claims: every claim kind in every status, consistent rows, the report's proportions on the
dashboard, and the same rows for the same seed."""

import datetime
import hashlib
import importlib
import random
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Q
from django.utils import timezone

from indicators import engine
from indicators.models import IndicatorValue
from indicators.periods import Period
from portal.choices import Role
from portal.models import AuditEvent, District, User
from seed import city, registry
from seed import training as synthetic
from seed.draws import CST
from seed.steps import SeedContext
from seed.writers import Writer
from training import rules
from training.choices import BatchStatus, ClaimKind, ClaimStatus, EnrollmentStatus, PaymentStatus, ProgramType
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
from workers.models import CraftsmanAward, CraftsmanTitle, Employment, Worker

N = 3_000
SEED = 11
AS_OF = city.DEFAULT_AS_OF
YEAR_START = datetime.date(AS_OF.year, 1, 1)
END_OF_AS_OF = datetime.datetime.combine(AS_OF + datetime.timedelta(days=1), datetime.time(0), tzinfo=CST)
STEPS = [*registry.SEED_STEPS, *synthetic.SEED_STEPS]


def _quiet(*args):
    return None


def _beilun_craftsmen(count: int = 6) -> None:
    """Locally trained 浙江工匠 in Beilun, the one award a rule pays (too rare to appear in a small city)."""
    title = CraftsmanTitle.objects.get(name="浙江工匠")
    workers = (
        Worker.objects.filter(district__code="330206", left_on__isnull=True, bank_account__isnull=False)
        .exclude(awards__title=title)
        .order_by("id")[:count]
    )
    CraftsmanAward.objects.bulk_create(
        CraftsmanAward(worker=w, title=title, year=2024, locally_trained=True, nominated_by="employer")
        for w in workers
    )


class _TodaysModels:
    """Today's models for a data migration's ``apps``: District is named by its old home, workers."""

    def get_model(self, app_label: str, model_name: str):
        if (app_label, model_name) == ("workers", "District"):
            app_label = "portal"
        return apps.get_model(app_label, model_name)


def _ensure_rules() -> None:
    """A transactional test elsewhere may have flushed the rows the data migrations load."""
    if not CraftsmanTitle.objects.exists():
        importlib.import_module("workers.migrations.0004_load_craftsman_titles").load(apps, None)
    if not SubsidyRule.objects.exists():
        importlib.import_module("training.migrations.0002_initial_rules").load(_TodaysModels(), None)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """A registry of N workers, six Beilun craftsmen, then the training step on top: committed once."""
    from tests.conftest import _restore_reference_data

    def remove():
        city.city_seed(workers=0, reset=True, steps=STEPS, progress=_quiet)
        User.objects.filter(username__startswith="seed_").delete()
        AuditEvent.objects.filter(action="registry.seed").delete()

    with django_db_blocker.unblock():
        _restore_reference_data()
        _ensure_rules()
        try:
            city.city_seed(
                workers=N, seed=SEED, as_of=AS_OF, steps=registry.SEED_STEPS, batch_size=700, progress=_quiet
            )
            _beilun_craftsmen()
            result = city.city_seed(
                workers=N, seed=SEED, as_of=AS_OF, steps=synthetic.SEED_STEPS, batch_size=700, progress=_quiet
            )
        except BaseException:
            remove()  # committed rows of a failed seed would fail every later test that counts rows
            raise
    yield result
    with django_db_blocker.unblock():
        remove()


class RecordingWriter(Writer):
    """Keeps every row in memory (clear text), no database."""

    def __init__(self):
        super().__init__(connection)
        self.tables = defaultdict(list)
        self.next_ids = Counter()

    def reserve_ids(self, model, count):
        first = self.next_ids[model] + 1
        self.next_ids[model] += count
        return first

    def _write(self, model, fields, rows):
        self.tables[model].extend(dict(zip(fields, row, strict=True)) for row in rows)

    def digest(self) -> str:
        return hashlib.sha256(
            repr(sorted((m._meta.label, repr(rows)) for m, rows in self.tables.items())).encode()
        ).hexdigest()


def generate(seed=SEED, batch_size=700) -> RecordingWriter:
    writer = RecordingWriter()
    ctx = SeedContext(
        seed=seed, workers=N, as_of=AS_OF, batch_size=batch_size, districts={}, writer=writer, progress=_quiet
    )
    synthetic.seed_step(ctx)
    return writer


# --- Size and shape ----------------------------------------------------------------------------------------


def test_exactly_the_report_s_person_times_per_worker(seeded, db):
    assert Enrollment.objects.count() == round(N * 810_000 / 3_500_000)  # about one per four workers
    # A few people train twice, nobody joins the same course twice.
    per_worker = Counter(Enrollment.objects.values_list("worker", flat=True))
    assert max(per_worker.values()) >= 2
    assert len(per_worker) > 0.8 * Enrollment.objects.count()


def test_enrolments_spread_over_the_months_of_the_reference_year(seeded, db):
    months = Counter(d.month for d in Enrollment.objects.values_list("enrolled_on", flat=True))
    assert set(months) == set(range(1, AS_OF.month + 1))
    assert max(months.values()) < 1.5 * min(months.values())


def test_an_enrolment_counts_in_the_district_of_the_employment_valid_that_day(seeded, db):
    spells = defaultdict(list)
    for worker_id, district_id, started_on, ended_on in Employment.objects.values_list(
        "worker", "district", "started_on", "ended_on"
    ):
        spells[worker_id].append((district_id, started_on, ended_on))
    for worker_id, district_id, day in Enrollment.objects.values_list("worker", "district", "enrolled_on"):
        valid = [d for d, start, end in spells[worker_id] if start <= day and (end is None or end > day)]
        assert valid == [district_id]


def test_enrolments_fit_their_course_and_their_status(seeded, db):
    rows = Enrollment.objects.select_related("program", "certificate")
    statuses = Counter()
    for e in rows:
        statuses[e.status] += 1
        assert YEAR_START <= e.enrolled_on <= AS_OF
        assert e.program.starts_on <= e.enrolled_on <= e.program.ends_on
        if e.status == EnrollmentStatus.COMPLETED:
            assert e.enrolled_on <= e.completed_on <= AS_OF
        else:
            assert e.completed_on is None and e.certificate is None
        if e.certificate:
            assert e.certificate.worker_id == e.worker_id
    assert set(statuses) == set(EnrollmentStatus.values)
    assert rows.filter(certificate__isnull=False).exists()
    full = TrainingProgram.objects.filter(capacity__isnull=False).annotate(
        kept=Count("enrollments", filter=~Q(enrollments__status=EnrollmentStatus.DROPPED))
    )
    assert not full.filter(kept__gt=F("capacity")).exists()


def test_every_district_has_programs_of_every_type_from_enterprises_and_schools(seeded, db):
    pairs = set(TrainingProgram.objects.values_list("district__code", "program_type").distinct())
    assert pairs == {(code, t) for code in registry.DISTRICT_SHARES for t in ProgramType.values}
    assert TrainingProgram.objects.filter(provider_enterprise__isnull=False).exists()
    assert TrainingProgram.objects.exclude(provider_school="").exists()
    # An employer's own courses are in its district.
    assert (
        not TrainingProgram.objects.exclude(provider_enterprise=None)
        .exclude(district=F("provider_enterprise__district"))
        .exists()
    )


def test_apprenticeships_pair_two_workers_of_one_enterprise(seeded, db):
    pairs = Apprenticeship.objects.select_related("master", "apprentice", "outcome_certificate")
    assert pairs.count() > 0.05 * N
    for pair in pairs:
        assert pair.master_id != pair.apprentice_id
        assert pair.master.enterprise_id == pair.apprentice.enterprise_id == pair.enterprise_id
        assert pair.district_id == pair.master.district_id
        assert pair.starts_on >= max(pair.master.hired_on, pair.apprentice.hired_on)
        assert pair.starts_on < pair.ends_on
        assert pair.terminated_on is None or pair.starts_on < pair.terminated_on < pair.ends_on
        if pair.outcome_certificate:
            assert pair.outcome_certificate.worker_id == pair.apprentice_id
            assert pair.outcome_certificate.level == pair.skill_target
    assert pairs.filter(outcome_certificate__isnull=False).exists()
    assert pairs.filter(terminated_on__isnull=False).exists()
    assert pairs.filter(starts_on__lte=AS_OF, ends_on__gt=AS_OF, terminated_on=None).exists()
    # Each apprentice has one master.
    assert pairs.values("apprentice").distinct().count() == pairs.count()


# --- Claims --------------------------------------------------------------------------------------------------


def test_every_kind_of_claim_appears_in_every_status(seeded, db):
    seen = set(Claim.objects.values_list("kind", "status").distinct())
    assert seen == {(k, s) for k in ClaimKind.values for s in ClaimStatus.values}


def test_each_status_has_the_fields_and_the_people_it_implies(seeded, db):
    threshold = Decimal(settings.CLAIM_CITY_APPROVAL_THRESHOLD)
    staff = dict(User.objects.filter(username__startswith="seed_").values_list("pk", "role"))
    for c in Claim.objects.select_related("worker", "reviewed_by", "approved_by"):
        assert c.district_id == c.worker.district_id
        assert timezone.localdate(c.submitted_at) >= YEAR_START - datetime.timedelta(days=21)
        assert c.submitted_at < END_OF_AS_OF
        reviewed = c.status in ("reviewed", "approved", "paid", "returned", "cancelled")
        approved = c.status in ("approved", "paid", "returned", "cancelled")
        if reviewed:
            assert c.submitted_at < c.reviewed_at
        elif c.status != "rejected":
            assert c.reviewed_at is None and c.reviewed_by is None
        if approved:
            assert c.reviewed_at < c.approved_at < END_OF_AS_OF
            # Four eyes: nobody approves what they submitted or reviewed.
            assert c.approved_by_id not in (c.reviewed_by_id, c.submitted_by_id)
            assert (staff[c.approved_by_id] == Role.CITY_STAFF) == (c.amount > threshold)
        else:
            assert c.approved_at is None and c.approved_by is None
        assert c.reviewed_by_id is None or c.reviewed_by_id != c.submitted_by_id
        assert c.submitted_online == (c.submitted_by_id is None)
        assert (c.paid_at is not None) == (c.status == "paid")
        if c.status == "paid":
            assert c.approved_at < c.paid_at < END_OF_AS_OF
            assert timezone.localdate(c.paid_at) >= YEAR_START
        if c.status in ("rejected", "cancelled", "returned"):
            assert c.closed_reason
        elif c.status != "paid":
            assert c.closed_reason == ""


def test_claims_name_their_worker_s_own_records_and_account(seeded, db):
    accounts = dict(Worker.objects.values_list("pk", "bank_account"))
    names = dict(Worker.objects.values_list("pk", "name"))
    claims = Claim.objects.select_related("certificate", "apprenticeship", "award")
    for c in claims:
        if c.kind == ClaimKind.SKILL_SUBSIDY:
            assert c.certificate.worker_id == c.worker_id
            assert (c.subsidy_occupation, c.subsidy_level) == (c.certificate.occupation, c.certificate.level)
            assert c.reference_date == c.certificate.issued_on
            assert c.certificate.revoked_on is None or c.certificate.revoked_on > timezone.localdate(
                c.submitted_at
            )
        elif c.kind == ClaimKind.APPRENTICESHIP_STIPEND:
            assert c.apprenticeship.master_id == c.worker_id
            assert c.apprenticeship.terminated_on is None
            assert c.apprenticeship.ends_on == c.reference_date <= timezone.localdate(c.submitted_at)
        elif c.kind == ClaimKind.CRAFTSMAN_AWARD:
            assert c.award.worker_id == c.worker_id
    assert TuitionDetail.objects.count() == claims.filter(kind=ClaimKind.TUITION).count()
    # The account travels with the payment: taken when the batch was sent, none while it is open.
    for p in Payment.objects.select_related("claim", "batch"):
        if p.batch.status == BatchStatus.OPEN:
            assert p.payee_account is None and p.payee_name == ""
        else:
            assert (p.payee_account, p.payee_name) == (accounts[p.claim.worker_id], names[p.claim.worker_id])
            assert p.payee_account_hash == Payment._meta.get_field("payee_account_hash").index_for(
                p.payee_account
            )


def test_amounts_come_from_the_rules_in_force(seeded, db):
    for c in Claim.objects.select_related("rule", "certificate", "apprenticeship", "award", "worker"):
        if c.kind == ClaimKind.SKILL_SUBSIDY:
            rule = rules._most_specific(
                rules.rules_in_force(c.kind, c.certificate.issued_on).filter(level=c.certificate.level),
                program_type="",
            )
            expected = rule.amount
            window = rules.add_months(c.certificate.issued_on, rule.window_months)
            assert timezone.localdate(c.submitted_at) <= window
        elif c.kind == ClaimKind.TUITION:
            detail = c.tuition
            rule, expected = rules.tuition_terms(
                tuition_paid=detail.tuition_paid, paid_on=detail.paid_on, relevant_to_job=True
            )
            assert c.reference_date == detail.paid_on
        elif c.kind == ClaimKind.APPRENTICESHIP_STIPEND:
            rule, expected, _ = rules.stipend_terms(
                apprenticeship=c.apprenticeship, submitted_on=timezone.localdate(c.submitted_at)
            )
        else:
            rule, expected, reference = rules.award_terms(worker=c.worker, award=c.award)
            assert c.reference_date == reference
        assert (c.rule_id, c.amount) == (rule.pk, expected), c.reference
    tuition = TuitionDetail.objects.select_related("claim__rule").first()
    share = (tuition.tuition_paid * tuition.claim.rule.rate).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert tuition.claim.amount == min(share, tuition.claim.rule.cap)


def test_skill_subsidies_keep_the_yearly_limit_and_once_per_occupation_and_level(seeded, db):
    live = Claim.objects.filter(kind=ClaimKind.SKILL_SUBSIDY).exclude(status__in=["rejected", "cancelled"])
    per_year = live.values("worker", "submitted_at__year").annotate(n=Count("id"))
    assert max(row["n"] for row in per_year) <= 3
    assert (
        not live.values("worker", "subsidy_occupation", "subsidy_level")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )


def test_a_paid_claim_has_exactly_one_paid_payment_and_a_returned_one_a_returned_payment(seeded, db):
    payments = defaultdict(list)
    for claim_id, status, amount, paid_at in Payment.objects.values_list(
        "claim", "status", "amount", "paid_at"
    ):
        payments[claim_id].append((status, amount, paid_at))
    for c in Claim.objects.all():
        mine = payments.get(c.pk, [])
        paid = [p for p in mine if p[0] == PaymentStatus.PAID]
        pending = [p for p in mine if p[0] == PaymentStatus.PENDING]
        if c.status == ClaimStatus.PAID:
            assert paid == [(PaymentStatus.PAID, c.amount, c.paid_at)]
        else:
            assert not paid
        if c.status == ClaimStatus.RETURNED:
            assert any(p[0] == PaymentStatus.RETURNED for p in mine)
        assert len(pending) <= 1
        if pending:
            assert c.status in (ClaimStatus.APPROVED, ClaimStatus.RETURNED)
        if c.status in ("submitted", "reviewed", "rejected", "cancelled"):
            assert not mine
    # Some paid claims were returned by the bank once and paid again.
    assert Payment.objects.filter(status=PaymentStatus.RETURNED, claim__status=ClaimStatus.PAID).exists()


def test_batches_are_settled_or_waiting_as_their_status_says(seeded, db):
    batches = PaymentBatch.objects.annotate(
        pending=Count("payments", filter=Q(payments__status=PaymentStatus.PENDING)),
        settled=Count("payments", filter=~Q(payments__status=PaymentStatus.PENDING)),
    )
    assert set(batches.values_list("status", flat=True)) == set(BatchStatus.values)
    assert batches.filter(district__isnull=True).exists()  # the city's own, for what the city approved
    for batch in batches:
        assert batch.pending + batch.settled > 0
        if batch.status == BatchStatus.CLOSED:
            assert (
                batch.pending == 0
                and batch.created_at < batch.sent_at < batch.reconciled_at <= batch.closed_at
            )
        elif batch.status == BatchStatus.RECONCILED:
            assert batch.pending == 0 and batch.created_at < batch.sent_at < batch.reconciled_at
            assert batch.closed_at is None
        else:
            assert batch.settled == 0 and batch.closed_at is None and batch.reconciled_at is None
            assert (batch.sent_at is None) == (batch.status == BatchStatus.OPEN)
        for payment in batch.payments.select_related("claim"):
            assert payment.claim.approved_at < batch.created_at
            if payment.paid_at:
                assert batch.sent_at < payment.paid_at
            assert batch.district_id in (None, payment.claim.district_id)


# --- The dashboard -------------------------------------------------------------------------------------------


def test_the_dashboard_of_the_reference_year_shows_the_report_scaled_to_the_city(seeded, db):
    run = engine.compute_period(Period.year(AS_OF.year))
    city_values = {
        v.indicator: v.numerator for v in IndicatorValue.objects.filter(run=run, district__isnull=True)
    }
    workers = Worker.objects.count()
    person_times, yuan = city_values["training_person_times"], city_values["subsidy_paid"]
    assert person_times == round(workers * Decimal(810_000) / 3_500_000)
    assert yuan == pytest.approx(workers * Decimal(778_000_000) / 3_500_000, rel=Decimal("0.02"))
    assert yuan / person_times == pytest.approx(Decimal(778_000_000) / 810_000, rel=Decimal("0.025"))
    assert city_values["tuition_reimbursed"] > 0 and city_values["apprenticeships_active"] > 0
    # Districts add up to the city and each has its share.
    by_district = dict(
        IndicatorValue.objects.filter(
            run=run, indicator="training_person_times", district__isnull=False
        ).values_list("district__code", "numerator")
    )
    assert sum(by_district.values()) == person_times
    assert by_district["330212"] > by_district["330205"]  # Yinzhou is bigger than Jiangbei
    # The year before has no training flows: the records start with the reference year.
    earlier = engine.compute_period(Period.year(AS_OF.year - 1))
    assert not IndicatorValue.objects.filter(
        run=earlier,
        district__isnull=True,
        indicator__in=["training_person_times", "subsidy_paid"],
        numerator__gt=0,
    ).exists()


def test_money_is_paid_every_quarter_of_the_window(seeded, db):
    paid = Counter()
    for paid_at, amount in Payment.objects.filter(
        status=PaymentStatus.PAID, claim__kind__in=[ClaimKind.SKILL_SUBSIDY, ClaimKind.APPRENTICESHIP_STIPEND]
    ).values_list("paid_at", "amount"):
        paid[(paid_at.astimezone(CST).month - 1) // 3] += amount
    assert set(paid) == {0, 1}
    assert paid[1] < 2 * paid[0]


# --- Determinism ---------------------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_rows(seeded, db):
    first, second, other = generate(), generate(), generate(seed=SEED + 1)
    assert first.tables[Claim] and first.tables[Enrollment]
    assert first.digest() == second.digest()
    assert first.digest() != other.digest()


def test_the_database_holds_what_the_generator_produces(seeded, db):
    writer = generate()

    def enrolments(rows):
        return sorted(
            (
                r["worker_id"],
                r["district_id"],
                r["enrolled_on"],
                r["status"],
                r["completed_on"],
                r["certificate_id"],
            )
            for r in rows
        )

    def claims(rows):
        return sorted((r["kind"], r["status"], r["worker_id"], r["amount"], r["submitted_at"]) for r in rows)

    assert enrolments(writer.tables[Enrollment]) == enrolments(
        Enrollment.objects.values(
            "worker_id", "district_id", "enrolled_on", "status", "completed_on", "certificate_id"
        )
    )
    assert claims(writer.tables[Claim]) == claims(
        Claim.objects.values("kind", "status", "worker_id", "amount", "submitted_at")
    )


def test_synthetic_staff_cannot_sign_in(seeded, db):
    staff = User.objects.filter(username__startswith="seed_")
    assert staff.count() == 3 * District.objects.count() + 2
    assert not any(user.has_usable_password() or user.is_active for user in staff)


def test_the_seed_summary_counts_what_it_wrote(seeded):
    stats = seeded["stats"]
    assert stats["training_enrolments"] == stats["training_enrolments_wanted"]
    # Apprentices may run out in the last enterprises: a stipend or two in a small city, no more.
    assert stats["training_stipends_short"] <= 0.01 * stats["training_stipends_wanted"]
    assert seeded["rows"]["training.Claim"] == sum(
        v for k, v in stats.items() if k.startswith("training_claims_")
    )


def test_drawing_days_without_replacement_gives_exactly_the_wanted_number():
    rng = random.Random(3)
    for wanted, days in ((0, 500), (37, 500), (500, 500), (230, 10_000)):
        left, population, total = wanted, days, 0
        while population:
            draws = min(population, rng.randint(1, 181))
            k = synthetic._hypergeometric(rng, population, left, draws)
            assert 0 <= k <= min(draws, left)
            total, left, population = total + k, left - k, population - draws
        assert total == wanted


def test_a_draw_in_the_rounding_error_of_the_distribution_stays_in_its_tail():
    class AlmostOne(random.Random):
        def random(self):
            return 1 - 1e-9  # above the sum of the computed probabilities (lgamma's rounding)

    # 23,000 person-times over 16.6 million days worked; a worker with 181 of those days, not 181 courses.
    assert synthetic._hypergeometric(AlmostOne(), 16_600_000, 23_000, 181) <= 8


@pytest.mark.postgres
def test_copy_rebuilds_the_training_indexes_and_constraints(seeded, db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes UNION SELECT conname FROM pg_constraint")
        present = {row[0] for row in cursor.fetchall()}
    declared = {
        item.name
        for model in (
            TrainingProgram,
            Enrollment,
            Apprenticeship,
            Claim,
            Payment,
            PaymentBatch,
            TuitionDetail,
        )
        for item in (*model._meta.indexes, *model._meta.constraints)
    }
    assert declared and declared <= present
