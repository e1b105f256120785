"""seed_demo on a small city tells the report's story: targets, this year's headline figures, the demo
worker's year, the payment office's work; and a second run changes nothing."""

import io
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from indicators.definitions import INDICATORS
from indicators.models import EnterpriseFigure, IndicatorRun, IndicatorValue, Target
from indicators.periods import Period
from indicators.selectors import latest_run
from mediation.choices import OPEN_STATUSES
from mediation.models import DisputeCase
from portal.models import AuditEvent, District, User
from seed import city
from seed.demo import DEMO_ACCOUNTS
from selfservice.models import BankAccountChange
from training import rules
from training.choices import BatchStatus, ClaimStatus, EnrollmentStatus, PaymentStatus
from training.models import Apprenticeship, Claim, Enrollment, PaymentBatch
from workers.models import SkillCertificate, Worker

N = 2_000  # as `make run` seeds it
SEED = 3


def _counts() -> dict[str, int]:
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """A city of N workers and seed_demo run twice on it, committed for the module; the row counts after
    each run."""
    from tests.conftest import _restore_reference_data

    def remove():
        # What refers to the registry first: the snapshots (per-enterprise figures) and account changes.
        for model in (EnterpriseFigure, IndicatorValue, IndicatorRun, Target, BankAccountChange):
            model.objects.all().delete()
        city.city_seed(workers=0, reset=True, progress=lambda message: None)
        AuditEvent.objects.filter(pk__gt=first_event).delete()
        User.objects.filter(username__in=[row[0] for row in DEMO_ACCOUNTS]).delete()
        User.objects.filter(username__startswith="seed_").delete()

    with django_db_blocker.unblock():
        _restore_reference_data()  # an earlier transactional test may have flushed the districts
        first_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        try:
            city.city_seed(workers=N, seed=SEED, batch_size=500, progress=io.StringIO().write)
            call_command("seed_demo", force=True, stdout=io.StringIO())
            once = _counts()
            call_command("seed_demo", force=True, stdout=io.StringIO())
            twice = _counts()
        except BaseException:
            remove()
            raise
    yield once, twice
    with django_db_blocker.unblock():
        remove()


@pytest.fixture
def zhang(demo, db):
    return Worker.objects.get(name="张金达")


def test_every_indicator_has_a_target_for_every_district_and_the_city_this_year(demo, db):
    year = timezone.localdate().year
    found = set(Target.objects.filter(year=year).values_list("indicator", "district_id"))
    wanted = {
        (code, d) for code in INDICATORS for d in [None, *District.objects.values_list("pk", flat=True)]
    }
    assert wanted <= found


@pytest.mark.parametrize(
    ("indicator", "report", "band"),
    [("high_skill_ratio", 32, 1.5), ("mediation_committee_rate", 96, 2.5), ("mediation_closure_rate", 83, 3)],
)
def test_this_years_headline_figures_are_the_reports(demo, db, indicator, report, band):
    run = latest_run(Period.containing(timezone.localdate(), "year").code)
    value = IndicatorValue.objects.get(run=run, district__isnull=True, indicator=indicator).value
    assert value is not None
    assert abs(value - Decimal(report)) <= Decimal(str(band)), (indicator, value)


def test_the_current_quarter_shows_transferred_cases_of_this_year(demo, db):
    today = timezone.localdate()
    assert (
        DisputeCase.objects.filter(
            source__in=["arbitration_transfer", "court_transfer"], accepted_on__year=today.year
        ).count()
        >= 50
    )


def test_the_demo_worker_has_claims_in_every_state(zhang):
    statuses = set(Claim.objects.filter(worker=zhang).values_list("status", flat=True))
    assert statuses == set(ClaimStatus.values)


def test_the_demo_worker_has_enrolments_one_finished_an_apprentice_and_a_case_with_days_left(zhang):
    today = timezone.localdate()
    enrolments = Enrollment.objects.filter(worker=zhang)
    assert enrolments.filter(status=EnrollmentStatus.COMPLETED).exists()
    assert enrolments.filter(status=EnrollmentStatus.ENROLLED).exists()
    assert Apprenticeship.objects.filter(master=zhang, starts_on__lte=today, ends_on__gt=today).exists()
    case = DisputeCase.objects.get(applicants=zhang, status__in=OPEN_STATUSES)
    assert case.due_on > today


def test_a_recent_certificate_qualifies_for_a_subsidy_and_an_account_is_confirmed(zhang):
    today = timezone.localdate()
    assert zhang.bank_account
    claimed = Claim.objects.filter(certificate__isnull=False).values("certificate")
    unclaimed = SkillCertificate.objects.filter(worker=zhang).exclude(pk__in=claimed)
    qualifying = []
    for certificate in unclaimed:
        try:
            rules.skill_subsidy_terms(worker=zhang, certificate=certificate, submitted_on=today)
        except ValidationError:
            continue
        qualifying.append(certificate)
    assert qualifying


def test_the_payment_staff_have_a_batch_to_reconcile_and_one_to_send(demo, db):
    reconciler = User.objects.get(username="pay_reconciler")
    waiting = PaymentBatch.objects.filter(status=BatchStatus.SENT, payments__status=PaymentStatus.PENDING)
    assert waiting.exclude(created_by=reconciler).exclude(sent_by=reconciler).exists()
    assert PaymentBatch.objects.filter(status=BatchStatus.OPEN, payments__isnull=False).exists()


def test_running_seed_demo_again_changes_no_row_counts(demo, db):
    once, twice = demo
    assert {k: (once[k], twice[k]) for k in once if once[k] != twice[k]} == {}


@pytest.mark.parametrize("today", ["2027-01-01", "2027-01-03", "2027-02-28", "2028-12-31"])
def test_transferred_cases_fit_between_new_year_and_today_on_any_day(today):
    import datetime

    from seed.demo_city import TRANSFERRED_PLAN, _case_dates

    today = datetime.date.fromisoformat(today)
    for j, (cases, _rate) in enumerate(TRANSFERRED_PLAN):
        for i in range(cases):
            for late in (False, True):
                received, accepted, started, concluded = _case_dates(today, i, cases, j, late)
                assert (
                    datetime.date(today.year, 1, 1) <= received <= accepted <= started <= concluded <= today
                )
