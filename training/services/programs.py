"""Writes of training records: enrolments (person-times) and master-apprentice agreements."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from portal.access import require_write_scope
from portal.audit import audit_record
from portal.models import User
from portal.text import clean_model_text
from training.choices import EnrollmentStatus
from training.models import Apprenticeship, Enrollment, TrainingProgram
from workers.models import Employment, SkillCertificate, Worker


def _require_write_scope(by: User | None, district_id: int) -> None:
    require_write_scope(by, district_id, message=_("You may not change records of this district."))


def district_on(worker_id: int, on_date: datetime.date) -> int | None:
    """The district a worker counted toward on a date: that of the employment valid then."""
    return (
        Employment.objects.filter(worker_id=worker_id)
        .valid_on(on_date)
        .values_list("district_id", flat=True)
        .first()
    )


def check_enrollment_dates(program: TrainingProgram, enrolled_on: datetime.date) -> None:
    """A worker enrols on a day of the programme."""
    if not program.starts_on <= enrolled_on <= program.ends_on:
        raise ValidationError({"enrolled_on": [_("The enrolment date is outside the program's dates.")]})


def check_program_room(program: TrainingProgram) -> None:
    """A programme with a capacity takes no more enrolments than it has places (dropped ones free theirs)."""
    if (
        program.capacity is not None
        and program.enrollments.exclude(status=EnrollmentStatus.DROPPED).count() >= program.capacity
    ):
        raise ValidationError({"program": [_("The program is full.")]})


def check_completion(
    *, enrollment: Enrollment, completed_on: datetime.date, certificate_id: int | None
) -> None:
    """A completion is not dated before the enrolment, and the certificate it earned is the worker's own."""
    if completed_on < enrollment.enrolled_on:
        raise ValidationError({"completed_on": [_("Completion cannot be before enrolment.")]})
    if (
        certificate_id is not None
        and not SkillCertificate.objects.filter(pk=certificate_id, worker_id=enrollment.worker_id).exists()
    ):
        raise ValidationError({"certificate": [_("The certificate must belong to the enrolled worker.")]})


def check_pair(*, master: Worker, apprentice: Worker) -> None:
    """A master and an apprentice are two people of one enterprise."""
    if master.pk == apprentice.pk:
        raise ValidationError({"apprentice": [_("A master cannot be their own apprentice.")]})
    if master.enterprise_id != apprentice.enterprise_id:
        raise ValidationError({"apprentice": [_("Master and apprentice must work in the same enterprise.")]})


def check_agreement_dates(*, starts_on: datetime.date, ends_on: datetime.date) -> None:
    """An apprenticeship agreement ends after it starts."""
    if ends_on <= starts_on:
        raise ValidationError({"ends_on": [_("The agreement must end after it starts.")]})


@transaction.atomic
def enrollment_create(
    *, by: User | None, worker_id: int, program_id: int, enrolled_on: datetime.date
) -> Enrollment:
    worker = Worker.objects.filter(pk=worker_id).first()
    program = TrainingProgram.objects.filter(pk=program_id).first()
    if worker is None or program is None:
        raise ValidationError(_("Unknown worker or program."))
    district_id = district_on(worker_id, enrolled_on)
    if district_id is None:
        raise ValidationError({"enrolled_on": [_("The worker was not employed on the enrolment date.")]})
    _require_write_scope(by, district_id)
    check_enrollment_dates(program, enrolled_on)
    check_program_room(program)
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(
                worker=worker, program=program, district_id=district_id, enrolled_on=enrolled_on
            )
    except IntegrityError:
        raise ValidationError({"program": [_("The worker is already enrolled in this program.")]}) from None
    audit_record(actor=by, action="enrollment.create", obj=enrollment)
    return enrollment


@transaction.atomic
def enrollment_complete(
    *, by: User | None, enrollment_id: int, completed_on: datetime.date, certificate_id: int | None = None
) -> Enrollment:
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment_id)
    _require_write_scope(by, enrollment.district_id)
    if enrollment.status != EnrollmentStatus.ENROLLED:
        raise ValidationError(_("Only an ongoing enrolment can be completed."))
    check_completion(enrollment=enrollment, completed_on=completed_on, certificate_id=certificate_id)
    enrollment.status, enrollment.completed_on = EnrollmentStatus.COMPLETED, completed_on
    enrollment.certificate_id = certificate_id
    enrollment.save(update_fields=["status", "completed_on", "certificate"])
    audit_record(actor=by, action="enrollment.complete", obj=enrollment)
    return enrollment


@transaction.atomic
def apprenticeship_create(
    *,
    by: User | None,
    master_id: int,
    apprentice_id: int,
    occupation: str,
    skill_target: int,
    starts_on: datetime.date,
    ends_on: datetime.date,
) -> Apprenticeship:
    """A pair in one enterprise: both must work there when the agreement starts."""
    master = Worker.objects.filter(pk=master_id).first()
    apprentice = Worker.objects.filter(pk=apprentice_id).first()
    if master is None or apprentice is None:
        raise ValidationError(_("Unknown worker."))
    check_pair(master=master, apprentice=apprentice)
    _require_write_scope(by, master.district_id)
    check_agreement_dates(starts_on=starts_on, ends_on=ends_on)
    occupation = clean_model_text(Apprenticeship, "occupation", occupation)
    pair = Apprenticeship(
        master=master,
        apprentice=apprentice,
        enterprise_id=master.enterprise_id,
        district_id=master.district_id,
        occupation=occupation,
        skill_target=skill_target,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    pair.full_clean()
    pair.save()
    audit_record(actor=by, action="apprenticeship.create", obj=pair)
    return pair
