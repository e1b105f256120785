"""The 15-day time limit: calendar days, the day of receipt not counted, extensions and their cap, flags."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from freezegun import freeze_time

from mediation import deadlines, services
from mediation.choices import EventType
from mediation.models import DisputeCase

D = datetime.date


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (D(2025, 3, 1), D(2025, 3, 16)),  # the domain note's example
        (D(2025, 1, 31), D(2025, 2, 15)),
        (D(2025, 2, 14), D(2025, 3, 1)),  # February 2025 has 28 days
        (D(2024, 2, 14), D(2024, 2, 29)),  # a leap year: the 29th exists
        (D(2024, 2, 20), D(2024, 3, 6)),
        (D(2025, 2, 20), D(2025, 3, 7)),
        (D(2025, 4, 30), D(2025, 5, 15)),
        (D(2025, 12, 20), D(2026, 1, 4)),  # over the year end
        (D(2025, 12, 31), D(2026, 1, 15)),
    ],
)
def test_the_due_date_is_fifteen_calendar_days_after_the_day_of_receipt(received, due):
    assert deadlines.due_date(received) == due


def test_days_left_counts_down_to_zero_on_the_due_date_and_then_goes_negative():
    due = D(2025, 3, 16)
    assert deadlines.days_left(due, D(2025, 3, 1)) == 15
    assert deadlines.days_left(due, D(2025, 3, 13)) == 3
    assert deadlines.days_left(due, D(2025, 3, 16)) == 0
    assert deadlines.days_left(due, D(2025, 3, 19)) == -3


@pytest.mark.parametrize(
    ("today", "due_soon", "overdue"),
    [
        (D(2025, 3, 12), False, False),  # 4 days left
        (D(2025, 3, 13), True, False),  # 3 days left
        (D(2025, 3, 16), True, False),  # the due date itself is still in time
        (D(2025, 3, 17), False, True),
    ],
)
def test_due_soon_and_overdue_in_python(today, due_soon, overdue):
    assert deadlines.is_due_soon("mediating", D(2025, 3, 16), today) is due_soon
    assert deadlines.is_overdue("mediating", D(2025, 3, 16), today) is overdue


def test_a_concluded_case_is_never_due_or_overdue():
    for status in ("agreement", "failed", "withdrawn", "rejected", "referred_to_arbitration", "litigation"):
        assert not deadlines.is_overdue(status, D(2025, 3, 16), D(2025, 5, 1))
        assert not deadlines.is_due_soon(status, D(2025, 3, 16), D(2025, 3, 15))


@freeze_time("2025-03-20 09:00:00+08:00")
def test_due_soon_and_overdue_as_querysets_agree_with_python(apply, beilun_committee):
    # Received on these days, the cases are due on 3-18 (overdue), 3-20 (today), 3-23 (3 days),
    # 3-24 (4 days); one more is overdue but concluded.
    received = {
        "overdue": D(2025, 3, 3),
        "today": D(2025, 3, 5),
        "three": D(2025, 3, 8),
        "four": D(2025, 3, 9),
    }
    cases = {key: apply(received_on=day) for key, day in received.items()}
    closed = apply(received_on=D(2025, 3, 1))
    services.case_withdraw(case_id=closed.pk, by=None, reason="已和解", on=D(2025, 3, 2))
    qs = DisputeCase.objects.all()
    assert set(qs.filter(deadlines.overdue_q())) == {cases["overdue"]}
    assert set(qs.filter(deadlines.due_soon_q())) == {cases["today"], cases["three"]}
    assert set(qs.filter(deadlines.open_q())) == set(cases.values())
    for case in qs:
        assert deadlines.is_overdue(case.status, case.due_on) == (case in qs.filter(deadlines.overdue_q()))


# --- Extensions ----------------------------------------------------------------------------------------------


@pytest.fixture
def mediating(apply, beilun_committee):
    with freeze_time("2025-03-01 09:00:00+08:00"):
        case = apply(received_on=D(2025, 3, 1))
        services.case_accept(case_id=case.pk, by=None, committee_id=beilun_committee.pk)
        services.case_start_mediation(case_id=case.pk, by=None)
    return case


@freeze_time("2025-03-14 09:00:00+08:00")
def test_an_agreed_extension_moves_the_due_date_and_is_on_the_timeline(mediating):
    case = services.case_extend(
        case_id=mediating.pk,
        by=None,
        new_due_on=D(2025, 3, 26),
        reason="双方同意补充证据",
        agreed_by_both=True,
    )
    assert (case.due_on, case.extension_reason) == (D(2025, 3, 26), "双方同意补充证据")
    event = case.events.get(event_type=EventType.EXTENDED)
    assert (event.due_on, event.text) == (D(2025, 3, 26), "双方同意补充证据")


@freeze_time("2025-03-14 09:00:00+08:00")
def test_the_extension_cap_defaults_to_fifteen_days_past_the_statutory_limit(mediating):
    assert deadlines.latest_due_date(D(2025, 3, 1)) == D(2025, 3, 31)
    with pytest.raises(ValidationError) as refused:
        services.case_extend(
            case_id=mediating.pk, by=None, new_due_on=D(2025, 4, 1), reason="延期", agreed_by_both=True
        )
    assert "new_due_on" in refused.value.message_dict
    assert services.case_extend(
        case_id=mediating.pk, by=None, new_due_on=D(2025, 3, 31), reason="延期", agreed_by_both=True
    ).due_on == D(2025, 3, 31)


@freeze_time("2025-03-14 09:00:00+08:00")
@override_settings(MEDIATION_EXTENSION_CAP_DAYS=5)
def test_the_extension_cap_is_a_setting(mediating):
    assert deadlines.latest_due_date(D(2025, 3, 1)) == D(2025, 3, 21)
    with pytest.raises(ValidationError):
        services.case_extend(
            case_id=mediating.pk, by=None, new_due_on=D(2025, 3, 22), reason="延期", agreed_by_both=True
        )


@freeze_time("2025-03-20 09:00:00+08:00")
def test_a_second_extension_must_go_later_and_stays_within_the_cap(mediating):
    services.case_extend(
        case_id=mediating.pk, by=None, new_due_on=D(2025, 3, 24), reason="一", agreed_by_both=True
    )
    with pytest.raises(ValidationError) as refused:
        services.case_extend(
            case_id=mediating.pk, by=None, new_due_on=D(2025, 3, 24), reason="二", agreed_by_both=True
        )
    assert "new_due_on" in refused.value.message_dict
    services.case_extend(
        case_id=mediating.pk, by=None, new_due_on=D(2025, 3, 30), reason="二", agreed_by_both=True
    )
    assert DisputeCase.objects.get(pk=mediating.pk).events.filter(event_type=EventType.EXTENDED).count() == 2


@freeze_time("2025-03-14 09:00:00+08:00")
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"agreed_by_both": False}, "agreed_by_both"),
        ({"reason": "  "}, "reason"),
        ({"new_due_on": D(2025, 3, 13)}, "new_due_on"),  # earlier than the current limit
    ],
)
def test_an_extension_needs_both_parties_a_reason_and_a_later_date(mediating, changes, field):
    values = {"new_due_on": D(2025, 3, 20), "reason": "补充证据", "agreed_by_both": True, **changes}
    with pytest.raises(ValidationError) as refused:
        services.case_extend(case_id=mediating.pk, by=None, **values)
    assert field in refused.value.message_dict
    case = DisputeCase.objects.get(pk=mediating.pk)
    assert (case.due_on, case.extension_reason) == (D(2025, 3, 16), "")
    assert not case.events.filter(event_type=EventType.EXTENDED).exists()


@freeze_time("2025-03-14 09:00:00+08:00")
def test_a_concluded_case_cannot_be_extended(mediating):
    services.case_fail(case_id=mediating.pk, by=None, reason="分歧太大")
    with pytest.raises(ValidationError) as refused:
        services.case_extend(
            case_id=mediating.pk, by=None, new_due_on=D(2025, 3, 20), reason="延期", agreed_by_both=True
        )
    assert refused.value.code == "wrong_state"
