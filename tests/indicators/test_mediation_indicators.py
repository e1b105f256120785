"""The mediation indicators on hand-made committees and cases, every figure worked out by hand."""

import datetime
from decimal import Decimal
from itertools import count

import pytest

from indicators import engine
from indicators.models import IndicatorValue
from indicators.periods import Period
from mediation.models import DisputeCase, MediationCommittee
from tests.factories import EnterpriseFactory, district

D = datetime.date
NUMBERS = count(1)


def case(firm, *, source, status, accepted, concluded, due):
    n = next(NUMBERS)
    return DisputeCase.objects.create(
        number=f"T-{n}",
        year=accepted.year,
        sequence=n,
        district=firm.district,
        enterprise=firm,
        dispute_type="pay",
        claim="欠薪",
        source=source,
        status=status,
        received_on=accepted,
        accepted_on=accepted,
        concluded_on=concluded,
        due_on=due,
    )


@pytest.fixture
def beilun(db):
    where = district("330206")
    a = EnterpriseFactory(district=where, above_scale=True, union_established_on=D(2010, 1, 1))
    b = EnterpriseFactory(district=where, above_scale=True, union_established_on=D(2012, 1, 1))
    EnterpriseFactory(
        district=where, above_scale=True, union_established_on=D(2026, 1, 1)
    )  # union after 2025
    EnterpriseFactory(
        district=where, above_scale=False, union_established_on=D(2012, 1, 1)
    )  # not above scale
    MediationCommittee.objects.create(
        kind="enterprise", name="A调委会", enterprise=a, district=where, established_on=D(2015, 1, 1)
    )
    MediationCommittee.objects.create(
        kind="enterprise",
        name="B调委会",
        enterprise=b,
        district=where,
        established_on=D(2024, 6, 1),
        dissolved_on=D(2025, 3, 1),
    )
    arb, court, walk_in = "arbitration_transfer", "court_transfer", "walk_in"
    case(
        a,
        source=arb,
        status="agreement",
        accepted=D(2025, 2, 1),
        concluded=D(2025, 2, 10),
        due=D(2025, 2, 16),
    )
    # Accepted in March, agreed in April after its due date: counts for Q1's closure rate, Q2's lateness.
    case(
        a,
        source=court,
        status="agreement",
        accepted=D(2025, 3, 20),
        concluded=D(2025, 4, 10),
        due=D(2025, 4, 4),
    )
    case(b, source=arb, status="failed", accepted=D(2025, 3, 25), concluded=D(2025, 4, 1), due=D(2025, 4, 9))
    case(
        b,
        source=walk_in,
        status="withdrawn",
        accepted=D(2025, 1, 5),
        concluded=D(2025, 1, 10),
        due=D(2025, 1, 20),
    )
    case(
        b,
        source=walk_in,
        status="agreement",
        accepted=D(2025, 1, 2),
        concluded=D(2025, 1, 20),
        due=D(2025, 1, 17),
    )
    return where


def figure(code, period, where):
    run = engine.compute_period(Period.parse(period))
    return IndicatorValue.objects.get(run=run, indicator=code, district=where)


def test_the_sources_are_what_the_test_expects():
    from mediation.choices import CaseSource, CaseStatus

    assert {"arbitration_transfer", "court_transfer", "walk_in"} <= set(CaseSource.values)
    assert {"agreement", "failed", "withdrawn"} <= set(CaseStatus.values)


def test_committee_formation_rate_on_the_last_day(beilun):
    assert figure("mediation_committee_rate", "2024", beilun).value == 100  # A and B both had one
    year = figure("mediation_committee_rate", "2025", beilun)
    assert (year.numerator, year.denominator, year.value) == (1, 2, 50)  # B's was dissolved in March


def test_closure_rate_follows_the_cohort_accepted_in_the_period(beilun):
    q1 = figure("mediation_closure_rate", "2025Q1", beilun)
    assert (q1.numerator, q1.denominator, q1.value) == (2, 3, Decimal("66.6667"))
    assert figure("mediation_closure_rate", "2025Q2", beilun).value is None  # none accepted in Q2
    assert figure("mediation_closure_rate", "2025Q2", beilun).ytd_value == Decimal("66.6667")


def test_on_time_rate_counts_agreements_and_failures_concluded_in_the_period(beilun):
    q1 = figure("mediation_on_time_rate", "2025Q1", beilun)
    assert (q1.numerator, q1.denominator) == (1, 2)  # on time, and five days late; the withdrawal is out
    q2 = figure("mediation_on_time_rate", "2025Q2", beilun)
    assert (q2.numerator, q2.denominator) == (1, 2)
    year = figure("mediation_on_time_rate", "2025", beilun)
    assert (year.numerator, year.denominator, year.value) == (2, 4, 50)
