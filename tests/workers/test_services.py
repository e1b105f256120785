"""The registry's services: registration, employment, certificates, awards, reveals — and their rules."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portal.models import AuditEvent
from tests.factories import EnterpriseFactory, district, make_id_number, register_worker
from workers.choices import SkillLevel
from workers.models import CraftsmanTitle, Employment, Worker
from workers.services import (
    award_grant,
    certificate_issue,
    certificate_revoke,
    personal_data_reveal,
    worker_by_id_number,
    worker_change_employment,
    worker_leave,
    worker_register,
    worker_update,
)

D = datetime.date


@pytest.fixture
def beilun_firm(db):
    return EnterpriseFactory(district=district("330206"))


@pytest.fixture
def haishu_firm(db):
    return EnterpriseFactory(district=district("330203"))


def test_registration_derives_birth_date_gender_and_district(beilun_firm):
    worker = register_worker(beilun_firm, sequence=124, birth="19980716")
    worker.refresh_from_db()
    assert worker.birth_date == D(1998, 7, 16)
    assert worker.gender == "F"  # sequence 124 is even
    assert worker.district == beilun_firm.district
    assert list(worker.employments.values_list("enterprise", "ended_on")) == [(beilun_firm.pk, None)]


def test_lower_case_x_and_full_width_digits_find_the_same_worker(beilun_firm):
    number = next(
        make_id_number("230103", "19900101", s)
        for s in range(1, 500)
        if make_id_number("230103", "19900101", s).endswith("X")
    )
    worker = worker_register(
        by=None, name="甲", id_number=number.lower(), enterprise_id=beilun_firm.pk, hired_on=D(2015, 1, 1)
    )
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number[:-1]) + "x"
    assert worker_by_id_number(full_width) == worker
    assert Worker.objects.get(pk=worker.pk).id_number == number


GOOD = make_id_number("330206", "19900101", 123)


@pytest.mark.parametrize(
    "id_number",
    [
        GOOD[:-1] + ("0" if GOOD[-1] != "0" else "1"),  # wrong check character
        make_id_number("330206", "19900230", 123),  # 30 February
        GOOD[:-1],  # 17 characters
    ],
)
def test_bad_id_numbers_are_refused_naming_the_field(beilun_firm, id_number):
    with pytest.raises(ValidationError) as caught:
        worker_register(
            by=None, name="乙", id_number=id_number, enterprise_id=beilun_firm.pk, hired_on=D(2020, 1, 1)
        )
    assert "id_number" in caught.value.message_dict
    assert Worker.objects.count() == 0


def test_a_duplicate_id_number_is_refused(beilun_firm, haishu_firm):
    register_worker(beilun_firm, sequence=5)
    with pytest.raises(ValidationError) as caught:
        register_worker(haishu_firm, sequence=5)
    assert "id_number" in caught.value.message_dict
    assert Worker.objects.count() == 1


def test_a_worker_under_16_at_hire_is_refused(beilun_firm):
    with pytest.raises(ValidationError) as caught:
        register_worker(beilun_firm, birth="20100301", hired_on=D(2026, 2, 28))
    assert "hired_on" in caught.value.message_dict
    register_worker(beilun_firm, birth="20100301", hired_on=D(2026, 3, 1))


def test_an_unknown_enterprise_is_refused(db):
    with pytest.raises(ValidationError) as caught:
        worker_register(
            by=None, name="丙", id_number=make_id_number(), enterprise_id=999_999, hired_on=D(2020, 1, 1)
        )
    assert "enterprise" in caught.value.message_dict


def test_a_bad_phone_is_refused(beilun_firm):
    with pytest.raises(ValidationError) as caught:
        register_worker(beilun_firm, phone="12345")
    assert "phone" in caught.value.message_dict


def test_changing_employment_moves_the_district_and_keeps_the_history(beilun_firm, haishu_firm):
    worker = register_worker(beilun_firm, position="机床操作工")
    worker_change_employment(
        by=None,
        worker_id=worker.pk,
        enterprise_id=haishu_firm.pk,
        started_on=D(2023, 6, 1),
        position="车间主任",
    )
    worker.refresh_from_db()
    assert worker.district == haishu_firm.district
    assert worker.enterprise == haishu_firm
    history = list(
        Employment.objects.filter(worker=worker)
        .order_by("started_on")
        .values_list("district__code", "position", "started_on", "ended_on")
    )
    assert history == [
        ("330206", "机床操作工", D(2020, 3, 1), D(2023, 6, 1)),
        ("330203", "车间主任", D(2023, 6, 1), None),
    ]


def test_a_new_employment_cannot_start_before_the_current_one(beilun_firm, haishu_firm):
    worker = register_worker(beilun_firm)
    with pytest.raises(ValidationError):
        worker_change_employment(
            by=None, worker_id=worker.pk, enterprise_id=haishu_firm.pk, started_on=D(2019, 1, 1)
        )


def test_leaving_ends_the_open_employment(beilun_firm):
    worker = register_worker(beilun_firm)
    worker_leave(by=None, worker_id=worker.pk, left_on=D(2024, 12, 31))
    worker.refresh_from_db()
    assert not worker.is_employed
    assert worker.employments.get().ended_on == D(2024, 12, 31)
    with pytest.raises(ValidationError):
        worker_leave(by=None, worker_id=worker.pk, left_on=D(2025, 1, 1))


def test_skill_level_is_the_highest_valid_certificate_and_revocation_lowers_it(beilun_firm):
    worker = register_worker(beilun_firm)
    certificate_issue(
        by=None,
        worker_id=worker.pk,
        level=SkillLevel.JUNIOR,
        occupation="车工",
        number="C-1",
        issued_on=D(2021, 5, 1),
    )
    senior = certificate_issue(
        by=None,
        worker_id=worker.pk,
        level=SkillLevel.SENIOR,
        occupation="车工",
        number="C-2",
        issued_on=D(2023, 5, 1),
    )
    worker.refresh_from_db()
    assert worker.skill_level == SkillLevel.SENIOR
    certificate_revoke(by=None, certificate_id=senior.pk, revoked_on=D(2024, 1, 1), reason="考试舞弊")
    worker.refresh_from_db()
    assert worker.skill_level == SkillLevel.JUNIOR


def test_certificate_numbers_are_unique_and_dates_checked(beilun_firm):
    worker = register_worker(beilun_firm)
    certificate_issue(
        by=None, worker_id=worker.pk, level=2, occupation="焊工", number="N-1", issued_on=D(2022, 1, 1)
    )
    with pytest.raises(ValidationError) as dup:
        certificate_issue(
            by=None, worker_id=worker.pk, level=3, occupation="焊工", number="N-1", issued_on=D(2023, 1, 1)
        )
    assert "number" in dup.value.message_dict
    with pytest.raises(ValidationError) as future:
        certificate_issue(
            by=None, worker_id=worker.pk, level=3, occupation="焊工", number="N-2", issued_on=D(2099, 1, 1)
        )
    assert "issued_on" in future.value.message_dict


def test_an_award_is_granted_once_per_title_and_year(beilun_firm):
    worker = register_worker(beilun_firm)
    title = CraftsmanTitle.objects.get(name="浙江工匠")
    award_grant(
        by=None,
        worker_id=worker.pk,
        title_id=title.pk,
        year=2022,
        nominated_by="employer",
        locally_trained=True,
    )
    with pytest.raises(ValidationError):
        award_grant(by=None, worker_id=worker.pk, title_id=title.pk, year=2022, nominated_by="self")
    award_grant(by=None, worker_id=worker.pk, title_id=title.pk, year=2023, nominated_by="self")
    assert worker.awards.count() == 2


def test_a_district_clerk_cannot_write_in_another_district(beilun_clerk, haishu_firm, beilun_firm):
    worker = register_worker(haishu_firm)
    with pytest.raises(PermissionDenied):
        worker_update(by=beilun_clerk, worker_id=worker.pk, occupation="钳工")
    with pytest.raises(PermissionDenied):
        worker_register(
            by=beilun_clerk,
            name="丁",
            id_number=make_id_number(sequence=9),
            enterprise_id=haishu_firm.pk,
            hired_on=D(2020, 1, 1),
        )
    own = worker_register(
        by=beilun_clerk,
        name="戊",
        id_number=make_id_number(sequence=11),
        enterprise_id=beilun_firm.pk,
        hired_on=D(2020, 1, 1),
    )
    assert own.district_id == beilun_firm.district_id


def test_officials_cannot_write(beilun_official, beilun_firm):
    worker = register_worker(beilun_firm)
    with pytest.raises(PermissionDenied):
        worker_update(by=beilun_official, worker_id=worker.pk, occupation="钳工")


REASON = "核对学费报销申请人身份"


def test_a_reveal_returns_the_value_and_is_logged_with_its_reason(beilun_clerk, beilun_firm):
    worker = register_worker(beilun_firm, phone="+86 138-0000-1234")
    value = personal_data_reveal(by=beilun_clerk, worker_id=worker.pk, field="phone", reason=f"  {REASON} ")
    assert value == "13800001234"
    event = AuditEvent.objects.get(action="personal_data.reveal")
    assert (event.actor, event.object_id) == (beilun_clerk, str(worker.pk))
    assert event.data == {"field": "phone", "reason": REASON} and event.summary == REASON
    assert "13800001234" not in str(event.data) + event.summary


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reveal_without_a_reason_shows_nothing_and_logs_nothing(beilun_clerk, beilun_firm, reason):
    worker = register_worker(beilun_firm)
    with pytest.raises(ValidationError) as refused:
        personal_data_reveal(by=beilun_clerk, worker_id=worker.pk, field="id_number", reason=reason)
    assert "reason" in refused.value.message_dict
    assert not AuditEvent.objects.filter(action="personal_data.reveal").exists()


def test_officials_and_other_districts_cannot_reveal(beilun_official, haishu_clerk, beilun_firm):
    worker = register_worker(beilun_firm)
    for user in (beilun_official, haishu_clerk):
        with pytest.raises(PermissionDenied):
            personal_data_reveal(by=user, worker_id=worker.pk, field="id_number", reason=REASON)
    assert not AuditEvent.objects.filter(action="personal_data.reveal").exists()


def test_updates_are_audited_without_personal_values(beilun_clerk, beilun_firm):
    worker = register_worker(beilun_firm)
    worker_update(by=beilun_clerk, worker_id=worker.pk, phone="13900009999", occupation="电工")
    event = AuditEvent.objects.get(action="worker.update")
    assert event.data == {"fields": ["occupation", "phone"]}
    assert "13900009999" not in str(event.data)
