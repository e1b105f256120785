"""Writes of training records: enrolments (person-times) and master-apprentice agreements."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
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
    spell = (
        Employment.objects.filter(worker_id=worker_id, started_on__lte=on_date)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on_date))
        .values_list("district_id", flat=True)
        .first()
    )
    return spell


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
    if not program.starts_on <= enrolled_on <= program.ends_on:
        raise ValidationError({"enrolled_on": [_("The enrolment date is outside the program's dates.")]})
    if (
        program.capacity is not None
        and program.enrollments.exclude(status=EnrollmentStatus.DROPPED).count() >= program.capacity
    ):
        raise ValidationError({"program": [_("The program is full.")]})
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
    if completed_on < enrollment.enrolled_on:
        raise ValidationError({"completed_on": [_("Completion cannot be before enrolment.")]})
    if (
        certificate_id is not None
        and not SkillCertificate.objects.filter(pk=certificate_id, worker_id=enrollment.worker_id).exists()
    ):
        raise ValidationError({"certificate": [_("The certificate must belong to the enrolled worker.")]})
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
    if master.pk == apprentice.pk:
        raise ValidationError({"apprentice": [_("A master cannot be their own apprentice.")]})
    if master.enterprise_id != apprentice.enterprise_id:
        raise ValidationError({"apprentice": [_("Master and apprentice must work in the same enterprise.")]})
    _require_write_scope(by, master.district_id)
    if ends_on <= starts_on:
        raise ValidationError({"ends_on": [_("The agreement must end after it starts.")]})
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
