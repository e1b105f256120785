"""The seed respects the services' rules: every generated claim, enrolment, apprenticeship and case passes
the very functions the services check them with (issue 16).

The seed writes rows directly (COPY on PostgreSQL), not through the services, so it re-implements their
rules; here each row goes back through the services' own checks. Rules that depend on the rows written
before (three subsidies a year, once per occupation and level, once per title or tuition payment, a
programme's capacity) are replayed: the rows are taken out and put back one by one in the order they
were made, and the rule is asked before each, seeing exactly the rows made before it. Those rows carry
their final status (a claim rejected later counts as rejected), the seed keeping no date of rejection.
"""

import datetime
import hashlib
import io
import random

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from mediation import deadlines
from mediation.choices import CaseStatus, EventType
from mediation.models import DisputeCase
from mediation.services import cases as case_services
from mediation.services._common import day
from portal.models import AuditEvent, User
from seed import city, mediation, registry, training
from seed.steps import SeedStep
from training import rules
from training.choices import ClaimKind, EnrollmentStatus
from training.models import Apprenticeship, Claim, Enrollment, Payment, TuitionDetail
from training.services import claims as claim_services
from training.services import programs as program_services
from workers.models import CraftsmanAward, CraftsmanTitle, Worker

N = 3_000
SEED = 5
AS_OF = city.DEFAULT_AS_OF


def _beilun_craftsmen(ctx) -> None:
    """Locally trained 浙江工匠 in Beilun, the one award a rule pays (too rare to show in a small city)."""
    title = CraftsmanTitle.objects.get(name="浙江工匠")
    workers = Worker.objects.filter(
        district__code="330206", left_on__isnull=True, bank_account__isnull=False
    ).exclude(awards__title=title)
    CraftsmanAward.objects.bulk_create(
        CraftsmanAward(worker=w, title=title, year=2024, locally_trained=True, nominated_by="employer")
        for w in workers.order_by("id")[:6]
    )


STEPS = [
    *registry.SEED_STEPS,
    SeedStep("beilun craftsmen", (), _beilun_craftsmen),
    *training.SEED_STEPS,
    *mediation.SEED_STEPS,
]


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """One city of N workers, every step, committed for the module; each test's own changes roll back."""
    from tests.conftest import _restore_reference_data

    def remove():
        city.city_seed(workers=0, reset=True, steps=STEPS, progress=lambda message: None)
        User.objects.filter(username__startswith="seed_").delete()
        AuditEvent.objects.filter(action="registry.seed").delete()

    with django_db_blocker.unblock():
        _restore_reference_data()  # an earlier transactional test may have flushed the districts
        try:
            city.city_seed(
                workers=N, seed=SEED, as_of=AS_OF, steps=STEPS, batch_size=700, progress=io.StringIO().write
            )
        except BaseException:
            remove()
            raise
    yield
    with django_db_blocker.unblock():
        remove()


def _refusal(check, *args, **kwargs) -> str | None:
    """None if the check lets it pass, else the reason it gives."""
    try:
        check(*args, **kwargs)
    except (ValidationError, PermissionDenied) as refusal:
        return "; ".join(getattr(refusal, "messages", None) or [str(refusal)])
    return None


def _staff(ids) -> dict[int, User]:
    """The synthetic staff as they were when they acted: active (they are inactive so nobody signs in)."""
    users = {u.pk: u for u in User.objects.filter(pk__in=[i for i in ids if i is not None])}
    for user in users.values():
        user.is_active = True
    return users


# --- Claims -------------------------------------------------------------------------------------------------


def _sha256(field_file) -> str:
    with field_file.open("rb") as stream:
        return hashlib.sha256(stream.read()).hexdigest()


def test_every_claim_passes_the_claim_rules(seeded, db):
    claims = list(
        Claim.objects.select_related("certificate", "award__title", "apprenticeship", "tuition").order_by(
            "submitted_at", "pk"
        )
    )
    assert {c.kind for c in claims} == set(ClaimKind.values), "every kind is checked"
    details = {d.claim_id: d for d in TuitionDetail.objects.all()}
    workers = Worker.objects.in_bulk({c.worker_id for c in claims})
    staff = _staff({c.reviewed_by_id for c in claims} | {c.approved_by_id for c in claims})

    # Taken out, then put back in the order of submission, each asked for before it goes back in.
    Payment.objects.all().delete()
    TuitionDetail.objects.all().delete()
    Claim.objects.all().delete()
    violations = []
    for claim in claims:
        worker = workers[claim.worker_id]
        submitted_on = timezone.localdate(claim.submitted_at)
        refusal, terms = None, None
        if claim.kind == ClaimKind.SKILL_SUBSIDY:
            refusal = _refusal(
                rules.skill_subsidy_terms,
                worker=worker,
                certificate=claim.certificate,
                submitted_on=submitted_on,
            )
            if refusal is None:
                rule, amount = rules.skill_subsidy_terms(
                    worker=worker, certificate=claim.certificate, submitted_on=submitted_on
                )
                terms = (rule, amount, claim.certificate.issued_on)
                if (claim.subsidy_occupation, claim.subsidy_level) != (
                    claim.certificate.occupation,
                    claim.certificate.level,
                ):
                    violations.append((claim.pk, "subsidy occupation and level are not the certificate's"))
        elif claim.kind == ClaimKind.TUITION:
            detail = details[claim.pk]
            refusal = (
                _refusal(
                    rules.tuition_terms,
                    tuition_paid=detail.tuition_paid,
                    paid_on=detail.paid_on,
                    relevant_to_job=detail.relevant_to_job,
                )
                or _refusal(
                    rules.tuition_once,
                    worker_id=worker.pk,
                    institution=detail.institution,
                    paid_on=detail.paid_on,
                    tuition_paid=detail.tuition_paid,
                )
                or _refusal(rules.receipt_once, receipt_sha256=detail.receipt_sha256)
            )
            # claim_submit refuses a tuition claim without its receipt; the hash is the stored file's.
            if not detail.receipt or detail.receipt_sha256 != _sha256(detail.receipt):
                violations.append((claim.pk, "tuition claim without its receipt, or a hash not of its file"))
            if refusal is None:
                rule, amount = rules.tuition_terms(
                    tuition_paid=detail.tuition_paid, paid_on=detail.paid_on, relevant_to_job=True
                )
                terms = (rule, amount, detail.paid_on)
        elif claim.kind == ClaimKind.CRAFTSMAN_AWARD:
            refusal = _refusal(rules.award_terms, worker=worker, award=claim.award) or _refusal(
                rules.award_once, worker_id=worker.pk, title=claim.award.title
            )
            if refusal is None:
                terms = rules.award_terms(worker=worker, award=claim.award)
                if claim.award_title_id != claim.award.title_id:
                    violations.append((claim.pk, "award title not recorded on the claim"))
        else:
            if claim.apprenticeship.master_id != worker.pk:
                violations.append((claim.pk, "the stipend is claimed by someone other than the master"))
            refusal = _refusal(
                rules.stipend_terms, apprenticeship=claim.apprenticeship, submitted_on=submitted_on
            )
            if refusal is None:
                terms = rules.stipend_terms(apprenticeship=claim.apprenticeship, submitted_on=submitted_on)
        if refusal is not None:
            violations.append((claim.pk, claim.kind, str(submitted_on), refusal))
        elif terms != (claim.rule, claim.amount, claim.reference_date):
            violations.append((claim.pk, claim.kind, "rule, amount or date differ from the rule's", terms))

        # Four eyes (and the city above the threshold), by staff of the claim's district.
        reviewer, approver = staff.get(claim.reviewed_by_id), staff.get(claim.approved_by_id)
        if reviewer is not None:
            if refusal := _refusal(claim_services._require_staff_scope, reviewer, claim.district_id):
                violations.append((claim.pk, "review", refusal))
            if refusal := _refusal(claim_services.check_reviewer, claim, reviewer):
                violations.append((claim.pk, "review", refusal))
        if approver is not None:
            if refusal := _refusal(claim_services._require_staff_scope, approver, claim.district_id):
                violations.append((claim.pk, "approval", refusal))
            if refusal := _refusal(claim_services.check_approver, claim, approver):
                violations.append((claim.pk, "approval", refusal))

        Claim.objects.bulk_create([claim])
        if claim.pk in details:
            TuitionDetail.objects.bulk_create([details[claim.pk]])
    assert violations == []


# --- Enrolments and apprenticeships ----------------------------------------------------------------------------


def test_every_enrolment_passes_the_enrolment_rules(seeded, db):
    enrolments = list(Enrollment.objects.select_related("program").order_by("enrolled_on", "pk"))
    assert len(enrolments) > 500
    violations = []
    Enrollment.objects.all().delete()
    for enrolment in enrolments:
        program = enrolment.program
        # The employment valid on the day decides the district the person-time counts toward.
        district_id = program_services.district_on(enrolment.worker_id, enrolment.enrolled_on)
        if district_id != enrolment.district_id:
            violations.append((enrolment.pk, "district", enrolment.district_id, district_id))
        for refusal in (
            _refusal(program_services.check_enrollment_dates, program, enrolment.enrolled_on),
            # Every enrolment was ongoing when it was made; the rows before it carry their final status.
            _refusal(program_services.check_program_room, program),
        ):
            if refusal:
                violations.append((enrolment.pk, refusal))
        if enrolment.status == EnrollmentStatus.COMPLETED:
            refusal = _refusal(
                program_services.check_completion,
                enrollment=enrolment,
                completed_on=enrolment.completed_on,
                certificate_id=enrolment.certificate_id,
            )
            if refusal:
                violations.append((enrolment.pk, refusal))
        Enrollment.objects.bulk_create([enrolment])
    assert violations == []


def test_every_apprenticeship_passes_the_apprenticeship_rules(seeded, db):
    pairs = list(Apprenticeship.objects.select_related("master", "apprentice"))
    assert len(pairs) > 50
    violations = []
    for pair in pairs:
        for refusal in (
            _refusal(program_services.check_pair, master=pair.master, apprentice=pair.apprentice),
            _refusal(program_services.check_agreement_dates, starts_on=pair.starts_on, ends_on=pair.ends_on),
            _refusal(pair.full_clean),
        ):
            if refusal:
                violations.append((pair.pk, refusal))
    assert violations == []


# --- Mediation cases --------------------------------------------------------------------------------------

#: Event -> the service transition that records it.
TRANSITION_OF = {
    EventType.ACCEPTED: "accept",
    EventType.REJECTED: "reject",
    EventType.MEDIATION_STARTED: "start_mediation",
    EventType.AGREEMENT: "reach_agreement",
    EventType.FAILED: "fail",
    EventType.REFERRED_TO_ARBITRATION: "refer_to_arbitration",
    EventType.LITIGATION: "to_litigation",
    EventType.WITHDRAWN: "withdraw",
}


def _case_violations(case: DisputeCase) -> list:
    """The case's timeline replayed through the services' checks: transitions, dates, time limits."""
    found = []
    status, due_on = None, None
    dates: dict[str, datetime.date] = {}
    events = sorted(case.events.all(), key=lambda e: (e.occurred_on, e.pk))
    for event in events:
        kind = event.event_type
        if kind == EventType.APPLIED:
            if status is not None:
                found.append((case.pk, "applied twice"))
            status, due_on = CaseStatus.APPLIED, event.due_on
            if due_on != deadlines.due_date(case.received_on):
                found.append((case.pk, "statutory time limit", due_on))
            dates["received"] = event.occurred_on
            continue
        if kind in TRANSITION_OF:
            name = TRANSITION_OF[kind]
            if name not in case_services.allowed_transitions(status):
                found.append((case.pk, f"{name} from {status}"))
            not_before = {
                "accept": dates.get("received"),
                "reject": dates.get("received"),
                "withdraw": dates.get("received"),
                "start_mediation": dates.get("accepted"),
                "reach_agreement": dates.get("accepted"),
                "fail": dates.get("accepted"),
                "refer_to_arbitration": dates.get("concluded"),
                "to_litigation": dates.get("referred"),
            }[name]
            if refusal := _refusal(day, event.occurred_on, field="on", not_before=not_before):
                found.append((case.pk, name, refusal))
            if name == "accept":
                dates["accepted"] = event.occurred_on
                if refusal := _refusal(
                    case_services.check_committee,
                    case.committee_id,
                    field="committee",
                    case_district_id=case.district_id,
                    enterprise_id=case.enterprise_id,
                    on=event.occurred_on,
                ):
                    found.append((case.pk, "committee", refusal))
            elif name in ("reject", "reach_agreement", "fail", "withdraw"):
                dates["concluded"] = event.occurred_on
            elif name == "refer_to_arbitration":
                dates["referred"] = event.occurred_on
            status = case_services.TRANSITIONS[name][1]
        elif kind == EventType.EXTENDED:
            if status not in case_services.EXTENSION_STATES:
                found.append((case.pk, f"extended while {status}"))
            if refusal := _refusal(
                case_services.check_extension,
                received_on=case.received_on,
                due_on=due_on,
                new_due_on=event.due_on,
                today=event.occurred_on,
            ):
                found.append((case.pk, "extension", refusal))
            due_on = event.due_on
        elif kind == EventType.SESSION and status not in case_services.SESSION_STATES:
            found.append((case.pk, f"session while {status}"))
        elif kind == EventType.OVERDUE and not (
            event.due_on == due_on and deadlines.is_overdue(status, due_on, event.occurred_on)
        ):
            found.append((case.pk, "overdue flag", event.occurred_on, due_on, status))
    if (status, due_on) != (case.status, case.due_on):
        found.append((case.pk, "timeline ends elsewhere", status, due_on, case.status, case.due_on))
    return found


def test_every_case_follows_the_workflow_and_its_time_limits(seeded, db):
    cases = list(DisputeCase.objects.prefetch_related("events"))
    assert len(cases) > 10
    violations = [v for case in cases for v in _case_violations(case)]
    assert violations == []


def test_a_denser_mediation_seed_follows_the_workflow_too(seeded, db):
    """The city has few cases; the same generator at 40 times the rate shows every state and event."""
    from django.apps import apps

    for label in reversed(mediation.MODELS):
        apps.get_model(label)._base_manager.all().delete()
    seed = mediation.from_registry(
        rng=random.Random(2), as_of=AS_OF, cases_per_thousand_workers_per_year=200, batch_size=300
    )
    mediation.generate(seed)
    cases = list(DisputeCase.objects.prefetch_related("events"))
    assert {e.event_type for case in cases for e in case.events.all()} >= {
        EventType.ACCEPTED, EventType.REJECTED, EventType.MEDIATION_STARTED, EventType.AGREEMENT,
        EventType.FAILED, EventType.WITHDRAWN, EventType.EXTENDED, EventType.OVERDUE, EventType.SESSION,
    }  # fmt: skip
    violations = [v for case in cases for v in _case_violations(case)]
    assert violations == []
