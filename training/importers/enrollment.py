"""Importing enrolment lists (培训名单), keyed on (program, worker).

A new enrolment counts where the worker was employed on the enrolment date (as enrollment_create does);
a registered one may move from enrolled to completed or dropped — that is how a provider's completion
list (结业名单) comes in.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from typing import NamedTuple

from django.db.models import Count
from django.utils.translation import gettext as _

from portal.masking import mask_id_number
from portal.spreadsheets.pipeline import (
    NEW,
    SAME,
    UPDATE,
    Importer,
    Planned,
    RowError,
    action_label,
)
from portal.spreadsheets.seen import FirstSeen
from training.choices import EnrollmentStatus
from training.importers import cells
from training.models import Enrollment, TrainingProgram
from training.resources import EnrollmentResource
from workers.importers.lookups import workers_by_hash
from workers.importers.worker import BATCH, id_number, short_text
from workers.models import Employment, SkillCertificate, Worker, employment_valid_on


def _district_on(spells: list[tuple[int, datetime.date, datetime.date | None]], day: datetime.date):
    """The district of the employment spell valid on a day (as training.services.programs.district_on:
    the spells come in the same order, latest start first)."""
    for district_id, started_on, ended_on in spells:
        if employment_valid_on(started_on, ended_on, day):
            return district_id
    return None


class EnrollmentRecord(NamedTuple):
    row: int
    program_id: int
    id_hash: str
    id_masked: str
    enrolled_on: datetime.date
    status: str
    completed_on: datetime.date | None
    certificate_number: str | None


class EnrollmentImporter(Importer):
    key = "enrollments"
    resource_class = EnrollmentResource
    audit_action = "import.enrollments"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.id_index = Worker._meta.get_field("id_number_hash").index_for
        self.seen = FirstSeen()
        #: new, not dropped enrolments per program in the rows checked so far (the capacity check)
        self.taken: Counter[int] = Counter()
        self.program_names: dict[int, str] = {}
        self._number = short_text(64)
        self._date = cells.not_future(self.today)

    def parse(self, row: int, values: dict[str, object]):
        errors: list[tuple[str, str]] = []
        take = self.take
        program_id = take(
            errors,
            "program_reference",
            cells.program_reference,
            values.get("program_reference"),
            required=True,
        )
        number, _birth, _gender = id_number(errors, "id_number", values.get("id_number"), self.today)
        enrolled_on = take(errors, "enrolled_on", self._date, values.get("enrolled_on"), required=True)
        status = take(errors, "status", cells.enrollment_status, values.get("status"))
        completed_on = take(errors, "completed_on", self._date, values.get("completed_on"))
        certificate = take(errors, "certificate_number", self._number, values.get("certificate_number"))
        if status is None:
            status = EnrollmentStatus.COMPLETED if completed_on else EnrollmentStatus.ENROLLED
        if (
            status == EnrollmentStatus.COMPLETED
            and completed_on is None
            and "completed_on" not in dict(errors)
        ):
            errors.append(("completed_on", _("A completed enrolment needs its completion date.")))
        if status != EnrollmentStatus.COMPLETED and (completed_on or certificate):
            column = "completed_on" if completed_on else "certificate_number"
            errors.append((column, _("Only a completed enrolment has a completion date or a certificate.")))
        if completed_on and enrolled_on and completed_on < enrolled_on:
            errors.append(("completed_on", _("Completion cannot be before enrolment.")))
        if program_id and number:
            message = _("This worker already appears in this program in row %(row)d of the file.")
            cells.first_seen(self.seen, (program_id, number), row, errors, "id_number", message)
        if errors:
            return None, errors
        record = EnrollmentRecord(
            row,
            program_id,
            self.id_index(number),
            mask_id_number(number),
            enrolled_on,
            status,
            completed_on,
            certificate,
        )
        return record, []

    def plan(self, records: list[EnrollmentRecord], *, lock: bool):
        if not records:
            return [], []
        programs = {
            p.pk: p
            for p in TrainingProgram.objects.filter(pk__in={r.program_id for r in records}).only(
                "id", "name", "starts_on", "ends_on", "capacity"
            )
        }
        self.program_names.update({pk: p.name for pk, p in programs.items()})
        workers = workers_by_hash({r.id_hash for r in records}, lock=lock)
        worker_ids = {w.id for w in workers.values()}
        spells: dict[int, list] = defaultdict(list)
        for worker_id, district_id, started_on, ended_on in Employment.objects.filter(
            worker_id__in=worker_ids
        ).values_list("worker_id", "district_id", "started_on", "ended_on"):
            spells[worker_id].append((district_id, started_on, ended_on))
        certificates = dict(
            (number, (pk, worker_id))
            for number, pk, worker_id in SkillCertificate.objects.filter(
                number__in={r.certificate_number for r in records if r.certificate_number}
            ).values_list("number", "id", "worker_id")
        )
        found = Enrollment.objects.filter(worker_id__in=worker_ids, program_id__in=programs.keys())
        if lock:
            found = found.select_for_update().order_by("pk")
        existing = {(e.program_id, e.worker_id): e for e in found}
        limited = [pk for pk, p in programs.items() if p.capacity is not None]
        used = dict(
            Enrollment.objects.filter(program_id__in=limited)
            .exclude(status=EnrollmentStatus.DROPPED)
            .values("program_id")
            .annotate(n=Count("id"))
            .values_list("program_id", "n")
        )
        # While writing, earlier chunks are in the database already: count only this chunk's new rows.
        taken = Counter() if lock else self.taken

        planned: list[Planned] = []
        errors: list[RowError] = []
        for r in records:
            program = programs.get(r.program_id)
            if program is None:
                errors.append(
                    RowError(r.row, "program_reference", _("No program with this number is registered."))
                )
                continue
            worker = workers.get(r.id_hash)
            if worker is None:
                errors.append(RowError(r.row, "id_number", _("No worker with this ID number is registered.")))
                continue
            certificate_id = None
            if r.certificate_number:
                held = certificates.get(r.certificate_number)
                if held is None or held[1] != worker.id:
                    errors.append(
                        RowError(
                            r.row,
                            "certificate_number",
                            _("The certificate must belong to the enrolled worker.")
                            if held
                            else _("No certificate with this number is registered."),
                        )
                    )
                    continue
                certificate_id = held[0]
            enrollment = existing.get((program.pk, worker.id))
            if enrollment is not None:
                if not self.can_write_district(enrollment.district_id):
                    errors.append(RowError(r.row, "id_number", _("This worker is not in your district.")))
                elif enrollment.enrolled_on != r.enrolled_on:
                    errors.append(
                        RowError(
                            r.row,
                            "enrolled_on",
                            _("This worker is enrolled in this program since %(date)s.")
                            % {"date": enrollment.enrolled_on.isoformat()},
                        )
                    )
                elif (
                    enrollment.status == r.status
                    and enrollment.completed_on == r.completed_on
                    and (certificate_id is None or enrollment.certificate_id == certificate_id)
                ):
                    planned.append(Planned(r, SAME, target=enrollment, extra=(worker,)))
                elif enrollment.status == EnrollmentStatus.ENROLLED:
                    planned.append(
                        Planned(r, UPDATE, ("status",), target=enrollment, extra=(worker, certificate_id))
                    )
                else:
                    errors.append(
                        RowError(
                            r.row,
                            "status",
                            _("A completed or dropped enrolment cannot be changed by an import."),
                        )
                    )
                continue
            if not program.starts_on <= r.enrolled_on <= program.ends_on:
                errors.append(
                    RowError(r.row, "enrolled_on", _("The enrolment date is outside the program's dates."))
                )
                continue
            district_id = _district_on(spells.get(worker.id, []), r.enrolled_on)
            if district_id is None:
                errors.append(
                    RowError(r.row, "enrolled_on", _("The worker was not employed on the enrolment date."))
                )
                continue
            if not self.can_write_district(district_id):
                errors.append(RowError(r.row, "id_number", _("This worker is not in your district.")))
                continue
            if program.capacity is not None and r.status != EnrollmentStatus.DROPPED:
                if used.get(program.pk, 0) + taken[program.pk] >= program.capacity:
                    errors.append(RowError(r.row, "program_reference", _("The program is full.")))
                    continue
                taken[program.pk] += 1
            planned.append(Planned(r, NEW, extra=(worker, certificate_id, district_id)))
        return planned, errors

    def write(self, planned: list[Planned]) -> None:
        new, changed = [], []
        for item in planned:
            r = item.record
            if item.action == NEW:
                worker, certificate_id, district_id = item.extra
                new.append(
                    Enrollment(
                        worker_id=worker.id,
                        program_id=r.program_id,
                        district_id=district_id,
                        enrolled_on=r.enrolled_on,
                        status=r.status,
                        completed_on=r.completed_on,
                        certificate_id=certificate_id,
                    )
                )
            elif item.action == UPDATE:
                enrollment, (_worker, certificate_id) = item.target, item.extra
                enrollment.status, enrollment.completed_on = r.status, r.completed_on
                enrollment.certificate_id = certificate_id
                changed.append(enrollment)
        if new:
            Enrollment.objects.bulk_create(new, batch_size=BATCH)
        if changed:
            Enrollment.objects.bulk_update(
                changed, ["status", "completed_on", "certificate"], batch_size=BATCH
            )

    def preview_headers(self) -> list[str]:
        return [
            _("Row"),
            _("What happens"),
            self.header("program_reference"),
            _("program"),
            self.header("id_number"),
            _("worker"),
            self.header("status"),
        ]

    def preview_row(self, item: Planned) -> list[str]:
        r = item.record
        worker = item.extra[0]
        return [
            str(r.row),
            action_label(item.action),
            f"PX{r.program_id:06d}",
            self.program_names.get(r.program_id, ""),
            r.id_masked,
            worker.name,
            str(EnrollmentStatus(r.status).label),
        ]
