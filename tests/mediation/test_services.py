"""The case workflow: every transition, every forbidden one (refused, nothing changes), scope, audit, numbers."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from freezegun import freeze_time

from mediation import services
from mediation.choices import CaseSource, CaseStatus, DisputeType, EventType
from mediation.models import CaseEvent, DisputeCase
from portal.models import AuditEvent
from tests.factories import EnterpriseFactory, district, register_worker

D = datetime.date
TODAY = D(2025, 6, 10)


@pytest.fixture(autouse=True)
def _june_2025():
    with freeze_time("2025-06-10 10:00:00+08:00"):
        yield


@pytest.fixture
def case(apply):
    return apply(received_on=D(2025, 6, 1))


def _kwargs(transition: str, committee) -> dict:
    return {
        "accept": {"committee_id": getattr(committee, "pk", None)},
        "reject": {"reason": "不属于劳动争议"},
        "start_mediation": {},
        "reach_agreement": {"agreed_amount": "15000", "terms": "企业于6月30日前支付工资15000元"},
        "fail": {"reason": "双方分歧较大"},
        "refer_to_arbitration": {},
        "to_litigation": {},
        "withdraw": {"reason": "已与企业自行和解"},
    }[transition]


PATHS = {
    CaseStatus.APPLIED: [],
    CaseStatus.ACCEPTED: ["accept"],
    CaseStatus.MEDIATING: ["accept", "start_mediation"],
    CaseStatus.AGREEMENT: ["accept", "start_mediation", "reach_agreement"],
    CaseStatus.FAILED: ["accept", "start_mediation", "fail"],
    CaseStatus.REFERRED_TO_ARBITRATION: ["accept", "start_mediation", "fail", "refer_to_arbitration"],
    CaseStatus.LITIGATION: ["accept", "start_mediation", "fail", "refer_to_arbitration", "to_litigation"],
    CaseStatus.WITHDRAWN: ["withdraw"],
    CaseStatus.REJECTED: ["reject"],
}


def run(transition: str, case, committee, by=None):
    service = getattr(services, f"case_{transition}")
    return service(case_id=case.pk, by=by, **_kwargs(transition, committee))


@pytest.fixture
def case_in(apply, beilun_committee):
    def make(status):
        case = apply(received_on=D(2025, 6, 1))
        for transition in PATHS[status]:
            case = run(transition, case, beilun_committee)
        assert case.status == status
        return case

    return make


# --- Applying -----------------------------------------------------------------------------------------------


def test_an_application_is_numbered_due_in_fifteen_days_and_on_the_timeline(case, beilun_worker, beilun_firm):
    assert case.status == CaseStatus.APPLIED
    assert case.number == "北仑劳调〔2025〕0001号"
    assert (case.received_on, case.due_on) == (D(2025, 6, 1), D(2025, 6, 16))
    assert case.enterprise == beilun_firm  # the applicant's current enterprise by default
    assert case.district == beilun_firm.district
    assert list(case.applicants.all()) == [beilun_worker]
    assert case.claimed_amount == Decimal("18000.00")
    assert list(case.events.values_list("event_type", "occurred_on")) == [(EventType.APPLIED, D(2025, 6, 1))]
    audit = AuditEvent.objects.get(action="case.apply")
    assert (audit.object_id, audit.district_id) == (str(case.pk), case.district_id)


def test_numbers_run_per_district_and_year(apply, haishu_worker):
    first = apply(received_on=D(2025, 5, 1))
    second = apply(received_on=D(2025, 5, 2))
    last_year = apply(received_on=D(2024, 12, 31))
    haishu = apply(applicant_ids=[haishu_worker.pk], received_on=D(2025, 5, 3))
    assert [first.number, second.number] == ["北仑劳调〔2025〕0001号", "北仑劳调〔2025〕0002号"]
    assert last_year.number == "北仑劳调〔2024〕0001号"
    assert haishu.number == "海曙劳调〔2025〕0001号"
    assert (second.year, second.sequence) == (2025, 2)


def test_a_refused_application_uses_no_number(apply):
    with pytest.raises(ValidationError):
        apply(claim="")
    assert apply().number.endswith("0001号")


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"claim": "  "}, {"claim"}),
        ({"claimed_amount": "-1"}, {"claimed_amount"}),
        ({"claimed_amount": "abc"}, {"claimed_amount"}),
        ({"dispute_type": "gossip"}, {"dispute_type"}),
        ({"source": "rumour"}, {"source"}),
        ({"applicant_ids": []}, {"applicants"}),
        ({"applicant_ids": [999_999]}, {"applicants"}),
        ({"enterprise_id": 999_999}, {"enterprise"}),
        ({"received_on": D(2025, 6, 11)}, {"received_on"}),
        (
            {"claim": "", "claimed_amount": "-5", "dispute_type": "x"},
            {"claim", "claimed_amount", "dispute_type"},
        ),
    ],
)
def test_bad_applications_name_every_wrong_field_and_create_nothing(apply, changes, fields):
    with pytest.raises(ValidationError) as refused:
        apply(**changes)
    assert set(refused.value.message_dict) == fields
    assert not DisputeCase.objects.exists()
    assert not CaseEvent.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="case.").exists()


def test_a_case_may_name_a_former_employer(apply, beilun_worker, haishu_firm):
    case = apply(enterprise_id=haishu_firm.pk, dispute_type=DisputeType.DISMISSAL)
    assert (case.enterprise, case.district) == (haishu_firm, haishu_firm.district)
    assert case.number.startswith("海曙")


def test_a_transferred_case_is_registered_once(apply):
    apply(source=CaseSource.COURT_TRANSFER, external_reference="(2025)浙0206民初123号")
    with pytest.raises(ValidationError) as refused:
        apply(source=CaseSource.COURT_TRANSFER, external_reference="(2025)浙0206民初123号")
    assert "external_reference" in refused.value.message_dict
    assert DisputeCase.objects.count() == 1


def test_a_clerk_registers_cases_of_their_district_only(apply, beilun_clerk, haishu_clerk, beilun_official):
    assert apply(by=beilun_clerk).created_by == beilun_clerk
    for user in (haishu_clerk, beilun_official):
        with pytest.raises(PermissionDenied):
            apply(by=user)
    assert DisputeCase.objects.count() == 1


def test_a_clerk_cannot_name_a_worker_from_another_district_who_never_worked_there(
    apply, beilun_clerk, haishu_worker
):
    with pytest.raises(PermissionDenied):  # by default the case is of their Haishu enterprise
        apply(by=beilun_clerk, applicant_ids=[haishu_worker.pk], enterprise_id=None)
    beilun_firm = EnterpriseFactory(district=district("330206"))
    with pytest.raises(ValidationError) as refused:
        apply(by=beilun_clerk, applicant_ids=[haishu_worker.pk], enterprise_id=beilun_firm.pk)
    assert set(refused.value.message_dict) == {"applicants"}


def test_a_clerk_may_register_a_former_employee_now_working_elsewhere(
    apply, beilun_clerk, beilun_firm, haishu_firm
):
    from workers.services import worker_change_employment

    mover = register_worker(beilun_firm, sequence=31, hired_on=D(2019, 1, 1))
    worker_change_employment(
        by=None, worker_id=mover.pk, enterprise_id=haishu_firm.pk, started_on=D(2025, 3, 1)
    )
    case = apply(by=beilun_clerk, applicant_ids=[mover.pk], enterprise_id=beilun_firm.pk)
    assert case.district == beilun_firm.district


def test_a_worker_applies_online_for_themself_only(apply, linked_worker_user, beilun_colleague):
    case = apply(by=linked_worker_user, source=CaseSource.WALK_IN, received_on=D(2025, 6, 2))
    assert (case.source, case.received_on) == (CaseSource.ONLINE, TODAY)
    with pytest.raises(PermissionDenied):
        apply(by=linked_worker_user, applicant_ids=[beilun_colleague.pk])


def test_several_applicants_share_one_case(apply, beilun_worker, beilun_colleague):
    case = apply(applicant_ids=[beilun_worker.pk, beilun_colleague.pk, beilun_worker.pk])
    assert set(case.applicants.all()) == {beilun_worker, beilun_colleague}


# --- Transitions ---------------------------------------------------------------------------------------------


def test_applied_accepted_mediating_agreement(case, beilun_committee, beilun_clerk):
    case = services.case_accept(
        case_id=case.pk, by=beilun_clerk, committee_id=beilun_committee.pk, on=D(2025, 6, 2)
    )
    assert (case.status, case.accepted_on, case.committee) == (
        CaseStatus.ACCEPTED,
        D(2025, 6, 2),
        beilun_committee,
    )
    case = services.case_start_mediation(case_id=case.pk, by=beilun_clerk, on=D(2025, 6, 3))
    assert case.status == CaseStatus.MEDIATING
    services.case_record_session(
        case_id=case.pk, by=beilun_clerk, text="第一次调解，双方到场", held_on=D(2025, 6, 5)
    )
    case = services.case_reach_agreement(
        case_id=case.pk, by=beilun_clerk, agreed_amount="12000.5", terms="分两期支付", on=D(2025, 6, 9)
    )
    assert (case.status, case.agreed_amount, case.outcome, case.concluded_on) == (
        CaseStatus.AGREEMENT, Decimal("12000.50"), "分两期支付", D(2025, 6, 9),
    )  # fmt: skip
    assert list(case.events.values_list("event_type", flat=True)) == [
        EventType.APPLIED, EventType.ACCEPTED, EventType.MEDIATION_STARTED, EventType.SESSION, EventType.AGREEMENT,
    ]  # fmt: skip
    assert list(
        AuditEvent.objects.filter(object_type="mediation.disputecase")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["case.apply", "case.accept", "case.start_mediation", "case.record_session", "case.reach_agreement"]
    assert AuditEvent.objects.get(action="case.reach_agreement").data["on_time"] is True


def test_failed_then_arbitration_then_court(case_in, beilun_clerk):
    case = case_in(CaseStatus.FAILED)
    assert (case.outcome, case.concluded_on) == ("双方分歧较大", TODAY)
    case = services.case_refer_to_arbitration(case_id=case.pk, by=beilun_clerk, note="职工申请仲裁")
    assert (case.status, case.referred_on, case.concluded_on) == (
        CaseStatus.REFERRED_TO_ARBITRATION, TODAY, TODAY,
    )  # fmt: skip
    case = services.case_to_litigation(case_id=case.pk, by=beilun_clerk)
    assert (case.status, case.litigation_on) == (CaseStatus.LITIGATION, TODAY)


@pytest.mark.parametrize("status", [CaseStatus.APPLIED, CaseStatus.ACCEPTED, CaseStatus.MEDIATING])
def test_an_open_case_can_be_withdrawn(case_in, status):
    case = run("withdraw", case_in(status), None)
    assert (case.status, case.outcome, case.concluded_on) == (CaseStatus.WITHDRAWN, "已与企业自行和解", TODAY)


def test_rejection_needs_a_reason(case):
    with pytest.raises(ValidationError) as refused:
        services.case_reject(case_id=case.pk, by=None, reason=" ")
    assert "reason" in refused.value.message_dict
    case = services.case_reject(case_id=case.pk, by=None, reason="已超过仲裁时效")
    assert (case.status, case.rejection_reason, case.concluded_on) == (
        CaseStatus.REJECTED,
        "已超过仲裁时效",
        TODAY,
    )


def _forbidden():
    pairs = []
    for status in CaseStatus:
        for transition, (sources, _target) in services.TRANSITIONS.items():
            if status not in sources:
                pairs.append((status, transition))
    return pairs


@pytest.mark.parametrize(("status", "transition"), _forbidden())
def test_a_forbidden_transition_is_refused_and_changes_nothing(case_in, beilun_committee, status, transition):
    case = case_in(status)
    before = DisputeCase.objects.filter(pk=case.pk).values().get()
    events, audits = CaseEvent.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        run(transition, case, beilun_committee)
    assert refused.value.code == "wrong_state"
    assert case.number in refused.value.messages[0]
    assert DisputeCase.objects.filter(pk=case.pk).values().get() == before
    assert (CaseEvent.objects.count(), AuditEvent.objects.count()) == (events, audits)


def test_there_are_sixty_two_forbidden_transitions():
    # 9 states x 8 transitions, minus the 10 arrows of the state machine.
    assert len(_forbidden()) == 62


def test_an_agreement_on_a_withdrawn_case_is_refused_with_a_clear_message(case_in, beilun_committee):
    from django.utils import translation

    case = case_in(CaseStatus.WITHDRAWN)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        run("reach_agreement", case, beilun_committee)
    assert refused.value.messages == [
        f"Case {case.number} is “Withdrawn”: an agreement is possible only when it is “Mediating”."
    ]


@pytest.mark.parametrize(
    ("transition", "changes", "field"),
    [
        ("reach_agreement", {"agreed_amount": None}, "agreed_amount"),
        ("reach_agreement", {"agreed_amount": "-3"}, "agreed_amount"),
        ("reach_agreement", {"terms": ""}, "terms"),
        ("fail", {"reason": ""}, "reason"),
    ],
)
def test_an_outcome_needs_its_details(case_in, beilun_committee, transition, changes, field):
    case = case_in(CaseStatus.MEDIATING)
    kwargs = {**_kwargs(transition, beilun_committee), **changes}
    with pytest.raises(ValidationError) as refused:
        getattr(services, f"case_{transition}")(case_id=case.pk, by=None, **kwargs)
    assert field in refused.value.message_dict
    assert DisputeCase.objects.get(pk=case.pk).status == CaseStatus.MEDIATING


def test_dates_cannot_be_in_the_future_or_before_the_previous_step(case, beilun_committee):
    for on in (D(2025, 6, 11), D(2025, 5, 31)):
        with pytest.raises(ValidationError) as refused:
            services.case_accept(case_id=case.pk, by=None, committee_id=beilun_committee.pk, on=on)
        assert "on" in refused.value.message_dict
    assert DisputeCase.objects.get(pk=case.pk).status == CaseStatus.APPLIED


def test_acceptance_needs_a_committee_that_may_take_the_case(case, haishu_street, beilun_committee):
    with pytest.raises(ValidationError) as refused:
        services.case_accept(case_id=case.pk, by=None)
    assert "committee" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.case_accept(case_id=case.pk, by=None, committee_id=haishu_street.pk)  # another district
    assert "committee" in refused.value.message_dict
    services.committee_dissolve(by=None, committee_id=beilun_committee.pk, dissolved_on=D(2025, 6, 5))
    with pytest.raises(ValidationError):
        services.case_accept(case_id=case.pk, by=None, committee_id=beilun_committee.pk, on=D(2025, 6, 6))
    accepted = services.case_accept(
        case_id=case.pk, by=None, committee_id=beilun_committee.pk, on=D(2025, 6, 4)
    )
    assert accepted.status == CaseStatus.ACCEPTED


def test_a_street_body_of_the_district_may_take_any_enterprises_case(haishu_worker, apply, haishu_street):
    case = apply(applicant_ids=[haishu_worker.pk])
    assert (
        services.case_accept(case_id=case.pk, by=None, committee_id=haishu_street.pk).committee
        == haishu_street
    )


# --- Who may act ---------------------------------------------------------------------------------------------


def test_only_clerks_of_the_case_district_move_it(
    case, beilun_committee, haishu_clerk, beilun_official, linked_worker_user
):
    for user in (haishu_clerk, beilun_official, linked_worker_user):
        with pytest.raises(PermissionDenied):
            services.case_accept(case_id=case.pk, by=user, committee_id=beilun_committee.pk)
        with pytest.raises(PermissionDenied):
            services.case_add_note(case_id=case.pk, by=user, text="备注")
    assert DisputeCase.objects.get(pk=case.pk).status == CaseStatus.APPLIED


def test_an_applicant_may_withdraw_their_own_case_but_not_anothers(apply, linked_worker_user, haishu_worker):
    own = apply(by=linked_worker_user)
    other = apply(applicant_ids=[haishu_worker.pk])
    with pytest.raises(PermissionDenied):
        services.case_withdraw(case_id=other.pk, by=linked_worker_user, reason="不想调解了")
    assert services.case_withdraw(case_id=own.pk, by=linked_worker_user, reason="已协商解决").status == (
        CaseStatus.WITHDRAWN
    )


# --- The timeline ----------------------------------------------------------------------------------------------


def test_sessions_only_while_mediating_notes_and_documents_always(case_in, beilun_clerk, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = case_in(CaseStatus.ACCEPTED)
    with pytest.raises(ValidationError) as refused:
        services.case_record_session(case_id=case.pk, by=beilun_clerk, text="调解")
    assert refused.value.code == "wrong_state"
    closed = case_in(CaseStatus.AGREEMENT)
    note = services.case_add_note(case_id=closed.pk, by=beilun_clerk, text="企业已履行协议", internal=True)
    assert (note.event_type, note.internal, note.by) == (EventType.NOTE, True, beilun_clerk)
    upload = SimpleUploadedFile("调解协议书.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    document = services.case_add_document(case_id=closed.pk, by=beilun_clerk, file=upload, text="调解协议书")
    assert document.file.name.startswith("mediation_documents/2025/06/")
    assert document.file.read() == b"%PDF-1.4 test"


@pytest.mark.parametrize(("name", "size"), [("virus.exe", 10), ("big.pdf", 10 * 1024 * 1024 + 1)])
def test_documents_of_the_wrong_type_or_too_big_are_refused(case, beilun_clerk, name, size):
    upload = SimpleUploadedFile(name, b"x" * size)
    with pytest.raises(ValidationError) as refused:
        services.case_add_document(case_id=case.pk, by=beilun_clerk, file=upload)
    assert "file" in refused.value.message_dict
    assert not CaseEvent.objects.filter(event_type=EventType.DOCUMENT).exists()


def test_an_internal_note_cannot_carry_a_file(case):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        CaseEvent.objects.create(
            case=case,
            event_type=EventType.NOTE,
            occurred_on=TODAY,
            internal=True,
            file="mediation_documents/x.pdf",
        )
