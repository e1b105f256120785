"""The engine on a small hand-made city, every figure worked out by hand (see the comments)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from indicators import engine
from indicators.choices import Light, RunStatus
from indicators.models import IndicatorRun, IndicatorValue, Target
from indicators.periods import Period
from indicators.selectors import figures, latest_run
from tests.factories import EnterpriseFactory, district, register_worker
from training.choices import ClaimKind, ClaimStatus, PaymentStatus
from training.models import (
    Apprenticeship,
    Claim,
    Enrollment,
    Payment,
    PaymentBatch,
    SubsidyRule,
    TrainingProgram,
)
from workers.choices import SkillLevel
from workers.models import CraftsmanTitle
from workers.services import (
    award_grant,
    certificate_issue,
    certificate_revoke,
    worker_change_employment,
    worker_leave,
)

D = datetime.date
TZ = timezone.get_fixed_timezone(8 * 60)


def cert(worker, level, issued_on, n=[0]):  # noqa: B006 - a counter shared by the calls
    n[0] += 1
    return certificate_issue(
        by=None, worker_id=worker.pk, level=level, occupation="车工", number=f"E-{n[0]}", issued_on=issued_on
    )


@pytest.fixture
def city(db):
    beilun, haishu = district("330206"), district("330203")
    firm_b, firm_h = EnterpriseFactory(district=beilun), EnterpriseFactory(district=haishu)
    w = {
        n: register_worker(firm_b if n in (1, 2, 3, 6, 7) else firm_h, sequence=n, hired_on=D(2019, 1, 1))
        for n in range(1, 8)
    }
    cert(w[1], SkillLevel.SENIOR, D(2024, 1, 1))  # Beilun, high-skill
    cert(w[2], SkillLevel.JUNIOR, D(2023, 5, 1))  # Beilun, skilled
    cert(w[3], SkillLevel.JUNIOR, D(2022, 5, 1))
    senior = cert(w[3], SkillLevel.SENIOR, D(2024, 5, 1))  # revoked mid-2025: high in Q1, skilled at year end
    certificate_revoke(by=None, certificate_id=senior.pk, revoked_on=D(2025, 6, 1), reason="复核不合格")
    cert(w[4], SkillLevel.INTERMEDIATE, D(2026, 1, 1))  # the day after 2025 ends: not counted in 2025
    cert(w[5], SkillLevel.TECHNICIAN, D(2020, 1, 1))
    worker_leave(by=None, worker_id=w[5].pk, left_on=D(2025, 6, 30))  # counted in Q1, gone by year end
    cert(w[6], SkillLevel.JUNIOR, D(2021, 1, 1))
    worker_change_employment(by=None, worker_id=w[6].pk, enterprise_id=firm_h.pk, started_on=D(2025, 7, 1))
    cert(w[7], SkillLevel.APPRENTICE, D(2024, 1, 1))  # an apprentice grade is not skilled

    program = TrainingProgram.objects.create(
        name="数控培训",
        program_type="skill_upgrade",
        district=beilun,
        provider_school="宁波技师学院",
        starts_on=D(2024, 1, 1),
        ends_on=D(2026, 1, 1),
    )
    for worker, day, where in (
        (w[1], D(2025, 2, 3), beilun),
        (w[2], D(2025, 2, 4), beilun),
        (w[3], D(2025, 7, 8), beilun),
        (w[4], D(2024, 12, 9), haishu),
    ):
        Enrollment.objects.create(worker=worker, program=program, district=where, enrolled_on=day)

    rule = SubsidyRule.objects.filter(kind=ClaimKind.SKILL_SUBSIDY).first()
    batch = PaymentBatch.objects.create()

    def paid(worker, kind, amount, when, status=PaymentStatus.PAID, where=beilun):
        claim = Claim.objects.create(
            kind=kind,
            worker=worker,
            district=where,
            amount=Decimal(amount),
            rule=rule,
            reference_date=when.date(),
            submitted_at=when,
            status=ClaimStatus.PAID,
            subsidy_occupation="车工" if kind == ClaimKind.SKILL_SUBSIDY else "",
            subsidy_level=2 if kind == ClaimKind.SKILL_SUBSIDY else None,
            certificate=w[2].certificates.first() if kind == ClaimKind.SKILL_SUBSIDY else None,
        )
        Payment.objects.create(batch=batch, claim=claim, amount=claim.amount, status=status, paid_at=when)

    paid(w[2], ClaimKind.SKILL_SUBSIDY, "1500", datetime.datetime(2025, 3, 10, 9, tzinfo=TZ))
    # Paid at 00:30 on 1 August, Beijing time: 31 July in UTC, but August in the report.
    paid(w[4], ClaimKind.TUITION, "3010.39", datetime.datetime(2025, 8, 1, 0, 30, tzinfo=TZ), where=haishu)
    paid(
        w[1],
        ClaimKind.TUITION,
        "999",
        datetime.datetime(2025, 8, 2, 9, tzinfo=TZ),
        status=PaymentStatus.RETURNED,
    )

    Apprenticeship.objects.create(
        master=w[1],
        apprentice=w[7],
        enterprise=firm_b,
        district=beilun,
        occupation="车工",
        skill_target=2,
        starts_on=D(2025, 3, 1),
        ends_on=D(2026, 3, 1),
    )
    Apprenticeship.objects.create(
        master=w[1],
        apprentice=w[2],
        enterprise=firm_b,
        district=beilun,
        occupation="车工",
        skill_target=3,
        starts_on=D(2024, 3, 1),
        ends_on=D(2025, 6, 30),
    )
    Apprenticeship.objects.create(
        master=w[1],
        apprentice=w[3],
        enterprise=firm_b,
        district=beilun,
        occupation="车工",
        skill_target=4,
        starts_on=D(2025, 1, 1),
        ends_on=D(2026, 6, 30),
        terminated_on=D(2025, 10, 1),
    )
    title = CraftsmanTitle.objects.get(name="宁波工匠")
    award_grant(by=None, worker_id=w[1].pk, title_id=title.pk, year=2024, nominated_by="employer")
    award_grant(
        by=None, worker_id=w[2].pk, title_id=title.pk, year=2026, nominated_by="employer"
    )  # after 2025
    return {"beilun": beilun, "haishu": haishu, "workers": w}


def table(run):
    return {
        (v.indicator, v.district.code if v.district else "city"): v
        for v in IndicatorValue.objects.filter(run=run).select_related("district")
    }


def test_year_end_stocks_worked_out_by_hand(city):
    values = table(engine.compute_period(Period.parse("2025")))
    # Beilun: w1 senior, w2 junior, w3 junior (senior revoked 1 June), w7 apprentice grade only.
    assert values["skilled_workers", "330206"].value == 3
    assert values["high_skill_talents", "330206"].value == 1
    assert values["high_skill_ratio", "330206"].value == Decimal("33.3333")
    # Haishu: w6 moved in on 1 July (junior); w5 left on 30 June; w4's certificate is from 1 Jan 2026.
    assert values["skilled_workers", "330203"].value == 1
    assert values["high_skill_talents", "330203"].value == 0
    assert values["high_skill_ratio", "330203"].value == 0
    assert values["skilled_workers", "city"].value == 4
    assert values["high_skill_ratio", "city"].value == Decimal("25.0000")
    # No skilled workers in Zhenhai: a ratio with nothing to divide by has no value, not an error.
    assert values["high_skill_ratio", "330211"].value is None
    assert (
        values["apprenticeships_active", "330206"].value == 1
    )  # one ended in June, one terminated in October
    assert values["craftsmen", "330206"].value == 1


def test_first_quarter_stocks_see_the_state_of_31_march(city):
    values = table(engine.compute_period(Period.parse("2025Q1")))
    # Beilun: w1 and w3 high-skill (not yet revoked), w2 and w6 (not yet moved) skilled.
    assert (values["skilled_workers", "330206"].value, values["high_skill_talents", "330206"].value) == (4, 2)
    # Haishu: w5 (technician) still employed.
    assert (values["skilled_workers", "330203"].value, values["high_skill_talents", "330203"].value) == (1, 1)
    assert values["high_skill_ratio", "330203"].value == 100


def test_flows_count_within_the_period_and_year_to_date(city):
    q3 = table(engine.compute_period(Period.parse("2025Q3")))
    assert q3["training_person_times", "330206"].value == 1  # 8 July
    assert q3["training_person_times", "330206"].ytd_value == 3  # February twice and July
    assert q3["tuition_reimbursed", "330203"].value == Decimal("3010.39")  # 00:30 on 1 August, Beijing time
    assert q3["tuition_reimbursed", "330206"].value == 0  # returned by the bank: not counted
    assert q3["subsidy_paid", "330206"].value == 0 and q3["subsidy_paid", "330206"].ytd_value == 1500
    july = table(engine.compute_period(Period.parse("2025-07")))
    assert july["tuition_reimbursed", "city"].value == 0
    year = table(engine.compute_period(Period.parse("2025")))
    assert year["training_person_times", "city"].value == 3  # the December 2024 enrolment is not in 2025


def test_running_twice_gives_the_same_figures(city):
    period = Period.parse("2025")
    first, second = engine.compute_period(period), engine.compute_period(period)
    strip = lambda run: {k: (v.numerator, v.denominator, v.value) for k, v in table(run).items()}  # noqa: E731
    assert strip(first) == strip(second)
    assert latest_run("2025") == second


def test_a_failed_run_leaves_the_last_good_snapshot_in_place(city, monkeypatch):
    good = engine.compute_period(Period.parse("2025"))

    def broken(period, run_id):
        raise RuntimeError("database went away")

    from indicators import sources

    monkeypatch.setattr(sources, "SOURCES", [*sources.SOURCES, sources.Source("broken", "stock", broken, ())])
    monkeypatch.setattr(engine, "SOURCES", sources.SOURCES)
    with pytest.raises(RuntimeError):
        engine.compute_period(Period.parse("2025"))
    failed = IndicatorRun.objects.exclude(pk=good.pk).get()
    assert failed.status == RunStatus.FAILED and "database went away" in failed.error
    assert not failed.values.exists()
    assert latest_run("2025") == good


def test_a_run_killed_midway_is_failed_by_the_stale_check_and_never_shown(city):
    good = engine.compute_period(Period.parse("2025"))
    orphan = engine.run_start(period=Period.parse("2025"))  # a worker took it and died right after
    IndicatorRun.objects.filter(pk=orphan.pk).update(
        status=RunStatus.RUNNING, started_at=timezone.now() - datetime.timedelta(hours=3)
    )
    assert latest_run("2025") == good
    assert engine.runs_fail_stale(older_than=datetime.timedelta(hours=2)) == 1
    orphan.refresh_from_db()
    assert orphan.status == RunStatus.FAILED
    # A late redelivery cannot resurrect it, nor compute anything.
    assert engine.run_execute(orphan.pk).status == RunStatus.FAILED
    assert not orphan.values.exists()
    assert latest_run("2025") == good


def test_the_engine_runs_a_handful_of_queries_whatever_the_data_size(city):
    with CaptureQueriesContext(connection) as few:
        engine.compute_period(Period.parse("2025Q3"))
    firm = EnterpriseFactory(district=city["beilun"])
    for n in range(20, 60):
        cert(register_worker(firm, sequence=n), SkillLevel.SENIOR, D(2024, 1, 1))
    with CaptureQueriesContext(connection) as many:
        engine.compute_period(Period.parse("2025Q3"))
    # One query per source and a few for the run itself (its lease taken and released, its claim).
    assert len(many) == len(few) <= 28


def test_lights_compare_stocks_with_the_target_and_flows_pro_rata(city):
    Target.objects.create(indicator="skilled_workers", year=2025, district=city["beilun"], value=3)
    Target.objects.create(indicator="skilled_workers", year=2025, district=None, value=5)
    Target.objects.create(indicator="training_person_times", year=2025, district=city["beilun"], value=4)
    Target.objects.create(
        indicator="high_skill_ratio", year=2025, district=city["beilun"], value=Decimal("36")
    )
    run = engine.compute_period(Period.parse("2025Q3"))
    lights = {(f.indicator.code, f.value.district_id): (f.light, f.target) for f in figures(run)}
    assert lights["skilled_workers", city["beilun"].pk][0] == Light.GREEN  # 3 of 3
    assert lights["skilled_workers", None][0] == Light.RED  # Q3 end: 4 of 5 = 80%
    # 3 person-times by 30 September against 4 × 273/365 = 2.9918: on target.
    assert lights["training_person_times", city["beilun"].pk] == (Light.GREEN, Decimal("2.9918"))
    # Q3 end ratio 1/3 = 33.33% against 36%: 92.6% of the target, close.
    assert lights["high_skill_ratio", city["beilun"].pk][0] == Light.AMBER
    assert lights["skilled_workers", city["haishu"].pk][0] == Light.NONE


def test_open_periods_keep_the_grace_days():
    codes = {p.code for p in engine.open_periods(D(2025, 7, 20), grace_days=30)}
    assert codes == {"2025", "2025Q2", "2025-06", "2025Q3", "2025-07"}  # June ended 20 days ago, May 51
    codes = {p.code for p in engine.open_periods(D(2026, 1, 10), grace_days=30)}
    assert codes == {"2025", "2025Q4", "2025-12", "2026", "2026Q1", "2026-01"}


@pytest.mark.parametrize(
    ("code", "start", "end"),
    [
        ("2025", D(2025, 1, 1), D(2025, 12, 31)),
        ("2024Q1", D(2024, 1, 1), D(2024, 3, 31)),
        ("2024-02", D(2024, 2, 1), D(2024, 2, 29)),
        (" 2025q4 ", D(2025, 10, 1), D(2025, 12, 31)),
    ],
)
def test_periods_parse(code, start, end):
    period = Period.parse(code)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize("code", ["2025Q5", "2025-13", "25", "2025-7", ""])
def test_bad_periods_are_refused(code):
    with pytest.raises(ValueError):
        Period.parse(code)


def test_enterprise_figures_are_kept_for_the_newest_run_only(city):
    from indicators.models import EnterpriseFigure

    first = engine.compute_period(Period.parse("2025"))
    rows = {
        (f.enterprise.district.code, f.employed, f.skilled, f.high_skill)
        for f in EnterpriseFigure.objects.filter(run=first).select_related("enterprise__district")
    }
    # Beilun's firm: w1, w2, w3, w7 employed at year end; Haishu's: w4 and w6 (w5 left in June).
    assert rows == {("330206", 4, 3, 1), ("330203", 2, 1, 0)}
    second = engine.compute_period(Period.parse("2025"))
    assert not EnterpriseFigure.objects.filter(run=first).exists()
    assert EnterpriseFigure.objects.filter(run=second).count() == 2
    assert IndicatorValue.objects.filter(run=first).exists()  # history of the figures themselves stays


def test_the_skill_indicators_explain_the_cut_the_engine_counts_with():
    """The explanations are translated text; they must name the levels of workers.skills' cut."""
    from django.utils import translation

    from indicators.definitions import INDICATORS
    from workers.skills import HIGH_SKILL_MIN_LEVEL, SKILLED_MIN_LEVEL

    with translation.override("en"):
        skilled = str(INDICATORS["skilled_workers"].explanation)
        high = str(INDICATORS["high_skill_talents"].explanation)
        # "Junior worker (初级工, level 5)" -> 初级工
        skilled_name = str(SkillLevel(SKILLED_MIN_LEVEL).label).split("(")[1].split(",")[0]
        high_name = str(SkillLevel(HIGH_SKILL_MIN_LEVEL).label).split("(")[1].split(",")[0]
    assert f"({skilled_name}) or above" in skilled
    assert f"({high_name}) or above" in high
