"""The daily overdue task: open cases past their due date get one "time limit passed" event, once."""

import datetime

import pytest
from freezegun import freeze_time

from mediation import services
from mediation.choices import CaseStatus, EventType
from mediation.models import CaseEvent, DisputeCase
from mediation.tasks import record_overdue_cases
from portal.models import AuditEvent

D = datetime.date


@pytest.fixture
def cases(apply, haishu_worker, beilun_committee):
    with freeze_time("2025-06-01 10:00:00+08:00"):
        return {
            "overdue": apply(received_on=D(2025, 5, 1)),  # due 5-16
            "haishu_overdue": apply(applicant_ids=[haishu_worker.pk], received_on=D(2025, 5, 10)),  # due 5-25
            "due_today": apply(received_on=D(2025, 5, 17)),  # due 6-1
            "concluded": services.case_withdraw(
                case_id=apply(received_on=D(2025, 5, 2)).pk, by=None, reason="撤回", on=D(2025, 5, 3)
            ),
        }


def overdue_events():
    return list(
        CaseEvent.objects.filter(event_type=EventType.OVERDUE)
        .order_by("case_id")
        .values_list("case_id", "due_on")
    )


@freeze_time("2025-06-01 23:00:00+08:00")
def test_running_the_task_twice_records_each_overdue_case_once(cases):
    assert record_overdue_cases.delay().get() == {"recorded": 2}
    assert record_overdue_cases.delay().get() == {"recorded": 0}
    assert overdue_events() == [
        (cases["overdue"].pk, D(2025, 5, 16)),
        (cases["haishu_overdue"].pk, D(2025, 5, 25)),
    ]
    # Overdue is a flag for staff, never an outcome.
    assert set(DisputeCase.objects.values_list("status", flat=True)) == {
        CaseStatus.APPLIED,
        CaseStatus.WITHDRAWN,
    }
    event = CaseEvent.objects.get(case=cases["overdue"], event_type=EventType.OVERDUE)
    assert event.occurred_on == D(2025, 5, 17)  # the first day past the limit, whenever the task ran
    audits = AuditEvent.objects.filter(action="case.overdue_recorded")
    assert sorted(audits.values_list("data__cases", flat=True)) == [1, 1]  # one row per district


def test_an_extended_case_is_flagged_again_only_when_the_new_limit_passes(cases, beilun_committee):
    case = cases["overdue"]
    with freeze_time("2025-05-20 10:00:00+08:00"):
        services.overdue_cases_record()
        services.case_accept(case_id=case.pk, by=None, committee_id=beilun_committee.pk)
        services.case_extend(
            case_id=case.pk, by=None, new_due_on=D(2025, 5, 28), reason="补充证据", agreed_by_both=True
        )
        assert services.overdue_cases_record() == 0
    with freeze_time("2025-05-29 10:00:00+08:00"):
        assert services.overdue_cases_record() == 2  # the extended case, and the Haishu case due 5-25
        assert services.overdue_cases_record() == 0
    assert [due for pk, due in overdue_events() if pk == case.pk] == [D(2025, 5, 16), D(2025, 5, 28)]


def test_the_task_takes_a_date(cases):
    assert record_overdue_cases("2025-05-17") == {"recorded": 1}


def test_batches_do_not_skip_or_repeat_cases(apply):
    with freeze_time("2025-06-20 10:00:00+08:00"):
        made = [apply(received_on=D(2025, 5, day)) for day in range(1, 8)]
        assert services.overdue_cases_record(batch_size=3) == 7
    assert sorted(pk for pk, _due in overdue_events()) == sorted(c.pk for c in made)
