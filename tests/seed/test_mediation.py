"""seed.mediation: the report's shape (96% committee coverage, 83% of transferred cases agreed),
every type, source and state, valid rows, deterministic, and pluggable into the city seeder."""

import datetime
import random
from collections import Counter

import pytest
from django.db import transaction
from django.db.models import Count, F, Q

from mediation import selectors, services
from mediation.choices import TRANSFERRED_SOURCES, CaseSource, CaseStatus, DisputeType, EventType
from mediation.models import CaseApplicant, CaseEvent, CaseNumberCounter, DisputeCase, MediationCommittee
from portal.models import AuditEvent
from seed import city
from seed import mediation as synthetic
from seed.registry import SEED_STEPS as REGISTRY_STEPS
from seed.steps import SeedStep
from workers.models import Enterprise, Worker

AS_OF = datetime.date(2026, 6, 30)


class Recorder:
    """A writer that keeps the rows in memory (no database): enough to check proportions at scale."""

    def __init__(self):
        self.rows = {}
        self.next_ids = Counter()

    def write(self, model, fields, rows):
        self.rows.setdefault(model, []).extend(dict(zip(fields, row, strict=True)) for row in rows)

    def reserve_ids(self, model, count):
        first = self.next_ids[model] + 1
        self.next_ids[model] += count
        return first


def _fake_city(seed: int = 5, firms: int = 6000):
    rng = random.Random(seed)
    recorder = Recorder()
    enterprises, workers = [], {}
    next_worker = 1
    for pk in range(1, firms + 1):
        above = rng.random() < 0.2
        enterprises.append(
            synthetic.EnterpriseInfo(pk, 1 + pk % 10, above, rng.random() < (0.9 if above else 0.3))
        )
        size = rng.randint(3, 120 if above else 25)
        workers[pk] = list(range(next_worker, next_worker + size))
        next_worker += size
    stats = synthetic.generate(
        synthetic.MediationSeed(
            rng=random.Random(seed), as_of=AS_OF, enterprises=enterprises, workers_by_enterprise=workers,
            district_names={d: f"测试{d}区" for d in range(1, 11)}, write=recorder.write,
            reserve_ids=recorder.reserve_ids, batch_size=997, cases_per_thousand_workers_per_year=30,
        )
    )  # fmt: skip
    return recorder, enterprises, stats


@pytest.fixture(scope="module")
def fake_city():
    return _fake_city()


def test_about_96_percent_of_above_scale_unionised_enterprises_have_a_standing_committee(fake_city):
    recorder, enterprises, _stats = fake_city
    eligible = {e.id for e in enterprises if e.above_scale and e.has_union}
    standing = {
        row["enterprise_id"]
        for row in recorder.rows[MediationCommittee]
        if row["enterprise_id"] in eligible and row["established_on"] <= AS_OF and row["dissolved_on"] is None
    }
    assert 0.945 <= len(standing) / len(eligible) <= 0.975
    assert any(row["dissolved_on"] for row in recorder.rows[MediationCommittee])  # history exists too
    kinds = Counter(row["kind"] for row in recorder.rows[MediationCommittee])
    assert set(kinds) == {"enterprise", "street", "industrial_community", "peoples"}


def test_about_83_percent_of_transferred_cases_end_in_an_agreement(fake_city):
    recorder, _enterprises, _stats = fake_city
    # A past cohort, as the indicator counts it: transferred cases accepted in a period long enough ago
    # that all of them have ended.
    cohort = [
        row for row in recorder.rows[DisputeCase]
        if row["source"] in TRANSFERRED_SOURCES and row["accepted_on"]
        and row["accepted_on"] <= AS_OF - datetime.timedelta(days=60)
    ]  # fmt: skip
    agreed = sum(row["status"] == CaseStatus.AGREEMENT for row in cohort)
    assert len(cohort) > 1000
    assert 0.80 <= agreed / len(cohort) <= 0.86


def test_cases_cover_every_type_source_and_state(fake_city):
    recorder, _enterprises, _stats = fake_city
    cases = recorder.rows[DisputeCase]
    assert {row["dispute_type"] for row in cases} == set(DisputeType.values)
    assert {row["source"] for row in cases} == set(CaseSource.values)
    assert {row["status"] for row in cases} == set(CaseStatus.values)
    events = {row["event_type"] for row in recorder.rows[CaseEvent]}
    assert events >= {"applied", "accepted", "mediation_started", "session", "extended", "agreement", "failed",
                      "withdrawn", "rejected", "referred_to_arbitration", "litigation", "overdue"}  # fmt: skip


def test_dates_follow_the_time_limit(fake_city):
    recorder, _enterprises, _stats = fake_city
    on_time = late = 0
    for row in recorder.rows[DisputeCase]:
        assert row["received_on"] <= AS_OF
        assert row["due_on"] >= row["received_on"] + datetime.timedelta(days=15)
        if row["status"] in ("agreement", "failed", "referred_to_arbitration", "litigation"):
            on_time += row["concluded_on"] <= row["due_on"]
            late += row["concluded_on"] > row["due_on"]
        if row["status"] in ("applied", "accepted", "mediating"):
            assert row["concluded_on"] is None
        else:
            assert AS_OF >= row["concluded_on"] >= row["received_on"]
    assert 0.9 <= on_time / (on_time + late) < 1


def test_numbers_are_unique_and_sequential_per_district_and_year(fake_city):
    recorder, _enterprises, _stats = fake_city
    cases = recorder.rows[DisputeCase]
    assert len({row["number"] for row in cases}) == len(cases)
    last = {(r["district_id"], r["year"]): r["last"] for r in recorder.rows[CaseNumberCounter]}
    per_key = Counter((row["district_id"], row["year"]) for row in cases)
    assert last == dict(per_key)


def test_the_same_seed_gives_the_same_rows():
    first, _e, _s = _fake_city(seed=9, firms=400)
    second, _e, _s = _fake_city(seed=9, firms=400)
    assert first.rows == second.rows


# --- On a seeded registry in the database ------------------------------------------------------------------


@pytest.fixture
def registry(db):
    """A small synthetic registry (the city seeder's own steps), in this test's transaction."""
    city.city_seed(workers=1500, seed=3, as_of=AS_OF, steps=REGISTRY_STEPS, progress=lambda message: None)


def test_generated_rows_satisfy_the_database_and_the_services(registry):
    seed = synthetic.from_registry(
        rng=random.Random(1), as_of=AS_OF, cases_per_thousand_workers_per_year=200, batch_size=300
    )
    with transaction.atomic():
        stats = synthetic.generate(seed)
    cases = DisputeCase.objects.all()
    assert cases.count() == stats["mediation.DisputeCase"] > 100
    # Every state shows at city scale (test above); a small registry has few cases still open.
    assert set(cases.values_list("status", flat=True)) >= {
        "mediating",
        "agreement",
        "failed",
        "withdrawn",
        "rejected",
    }
    # Applicants work at the case's enterprise; committees take cases of their district.
    assert not CaseApplicant.objects.exclude(worker__enterprise=F("case__enterprise")).exists()
    assert not cases.filter(committee__isnull=False).exclude(committee__district=F("district")).exists()
    assert not cases.exclude(district=F("enterprise__district")).exists()
    # The committee rate as the indicator engine will compute it.
    eligible = Enterprise.objects.filter(above_scale=True, union_established_on__lte=AS_OF)
    rate = eligible.aggregate(
        total=Count("pk"), covered=Count("pk", filter=Q(selectors.enterprise_committee_exists(AS_OF)))
    )
    assert rate["covered"] / rate["total"] >= 0.85
    # New cases continue the seeded numbering.
    worker = Worker.objects.filter(left_on__isnull=True).first()
    year = cases.filter(district=worker.district).order_by("-year").values_list("year", flat=True).first()
    top = (
        cases.filter(district=worker.district, year=year)
        .order_by("-sequence")
        .values_list("sequence", flat=True)[0]
    )
    case = services.case_apply(
        by=None, applicant_ids=[worker.pk], dispute_type=DisputeType.PAY, claim="工资", source=CaseSource.WALK_IN,
        received_on=AS_OF,
    )  # fmt: skip
    assert (case.year, case.sequence) == (year, top + 1)


def test_the_step_plugs_into_the_city_seeder(db):
    steps = [*REGISTRY_STEPS, SeedStep("mediation", synthetic.MODELS, synthetic.seed_step)]
    result = city.city_seed(workers=1500, seed=4, as_of=AS_OF, steps=steps, progress=lambda message: None)
    assert result["rows"]["mediation.DisputeCase"] == DisputeCase.objects.count() > 0
    assert MediationCommittee.objects.exists()
    assert CaseEvent.objects.filter(event_type=EventType.APPLIED).count() == DisputeCase.objects.count()
    # --reset empties mediation's tables with the registry's (their rows refer to workers).
    city.city_seed(workers=0, seed=4, as_of=AS_OF, steps=steps, reset=True, progress=lambda message: None)
    assert not DisputeCase.objects.exists() and not MediationCommittee.objects.exists()
    AuditEvent.objects.filter(action="registry.seed").delete()
