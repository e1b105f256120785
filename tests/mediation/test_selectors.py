"""The case conditions the indicator engine aggregates: transferred, closed by agreement, concluded on time."""

import datetime

import pytest
from django.db.models import Count, Q
from freezegun import freeze_time

from mediation import selectors, services
from mediation.choices import CaseSource
from mediation.models import DisputeCase

D = datetime.date


@pytest.fixture
def cases(apply, beilun_committee):
    def mediate(**kwargs):
        case = apply(**kwargs)
        services.case_accept(case_id=case.pk, by=None, committee_id=beilun_committee.pk, on=case.received_on)
        services.case_start_mediation(case_id=case.pk, by=None, on=case.received_on)
        return case

    with freeze_time("2025-06-30 10:00:00+08:00"):
        on_time = mediate(source=CaseSource.ARBITRATION_TRANSFER, received_on=D(2025, 5, 1))  # due 5-16
        services.case_reach_agreement(
            case_id=on_time.pk, by=None, agreed_amount="1", terms="付", on=D(2025, 5, 16)
        )
        late = mediate(source=CaseSource.COURT_TRANSFER, received_on=D(2025, 5, 1))
        services.case_fail(case_id=late.pk, by=None, reason="不成", on=D(2025, 5, 17))
        services.case_refer_to_arbitration(case_id=late.pk, by=None, on=D(2025, 5, 20))
        extended = mediate(received_on=D(2025, 6, 1))  # due 6-16, extended to 6-26
        with freeze_time("2025-06-15 10:00:00+08:00"):
            services.case_extend(
                case_id=extended.pk, by=None, new_due_on=D(2025, 6, 26), reason="补证", agreed_by_both=True
            )
        services.case_reach_agreement(
            case_id=extended.pk, by=None, agreed_amount="0", terms="和解", on=D(2025, 6, 20)
        )
        withdrawn = mediate(received_on=D(2025, 6, 2))
        services.case_withdraw(case_id=withdrawn.pk, by=None, reason="撤回", on=D(2025, 6, 3))
    return {"on_time": on_time, "late": late, "extended": extended, "withdrawn": withdrawn}


def test_the_indicator_conditions_in_one_grouped_query(cases, django_assert_num_queries):
    with django_assert_num_queries(1):
        (row,) = (
            DisputeCase.objects.values("district")
            .annotate(
                transferred=Count("pk", filter=selectors.transferred_q()),
                transferred_agreed=Count(
                    "pk", filter=selectors.transferred_q() & selectors.closed_by_agreement_q()
                ),
                concluded=Count("pk", filter=selectors.mediated_to_an_end_q()),
                on_time=Count("pk", filter=selectors.concluded_on_time_q()),
            )
            .order_by()
        )
    assert (row["transferred"], row["transferred_agreed"], row["concluded"], row["on_time"]) == (2, 1, 3, 2)
    on_time = set(DisputeCase.objects.filter(selectors.concluded_on_time_q()))
    assert on_time == {cases["on_time"], cases["extended"]}  # the late one failed a day after its limit


def test_the_conditions_work_through_a_relation(cases):
    from workers.models import Enterprise

    counted = Enterprise.objects.annotate(
        late=Count("dispute_cases", filter=selectors.mediated_to_an_end_q("dispute_cases__")
                   & ~Q(selectors.concluded_on_time_q("dispute_cases__")))
    ).values_list("late", flat=True)  # fmt: skip
    assert list(counted) == [1]
