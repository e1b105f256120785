"""Importing training programs, enrolment lists (培训名单) and claims through the registry's pipeline.

Each format runs in portal/spreadsheets/pipeline.py: the file is checked in chunks (a preview and an error
report of the bad rows in the clerk's language), then written in one transaction or not at all.

- Programs are keyed on (district, name, start date): a registered program is updated, a new one added.
- Enrolments are keyed on (program, worker); a new one counts where the worker was employed on the
  enrolment date (as enrollment_create does), a registered one may move from enrolled to completed or
  dropped — that is how a provider's completion list (结业名单) comes in.
- Claims are money. Each new row is judged by the same rules (training/rules.py) as a claim entered on its
  page, and written by the same service, claim_submit, with its audit event; rows that need each other's
  effects within the file (the yearly limit, once per occupation and level) are counted as the check goes.
  A row whose certificate, award, apprenticeship or tuition already has a live claim is left as it is, so
  importing the same file twice changes nothing. A new tuition row is refused: every tuition claim needs
  its receipt, which a spreadsheet cannot carry, so paper tuition claims are entered on the claim page. Claims come in hundreds or thousands, not millions: a
  claim row costs a few queries, which keeps every rule in one place.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext as _

from portal.masking import mask_id_number
from portal.spreadsheets.pipeline import (
    NEW,
    SAME,
    UPDATE,
    Importer,
    Planned,
    RegistryChanged,
    RowError,
    action_label,
)
from portal.spreadsheets.seen import FirstSeen
from training import rules
from training.choices import CLOSED_WITHOUT_PAYMENT, ClaimKind, Degree, EnrollmentStatus, ProgramType
from training.models import Apprenticeship, Claim, Enrollment, TrainingProgram, TuitionDetail
from training.models.program import program_id_from_reference
from training.resources import ClaimResource, EnrollmentResource, TrainingProgramResource
from training.services.claims import claim_submit
from workers.importers import cells
from workers.importers.lookups import DistrictReader, EnterpriseCache, TitleReader, workers_by_hash
from workers.importers.worker import BATCH, CreditCodes, id_number, short_text
from workers.models import CraftsmanAward, Employment, SkillCertificate, Worker, employment_valid_on

_CLOSED = [s.value for s in CLOSED_WITHOUT_PAYMENT]

program_type = cells.ChoiceReader(
    ProgramType,
    {
        "现代学徒制": ProgramType.MODERN_APPRENTICESHIP, "企业新型学徒制": ProgramType.ENTERPRISE_APPRENTICESHIP,
        "新型学徒制": ProgramType.ENTERPRISE_APPRENTICESHIP, "以工代训": ProgramType.WORK_BASED,
        "岗位技能提升": ProgramType.SKILL_UPGRADE, "技能提升": ProgramType.SKILL_UPGRADE,
        "产教融合": ProgramType.INDUSTRY_EDUCATION, "竞赛培训": ProgramType.COMPETITION,
        "技能竞赛": ProgramType.COMPETITION,
    },
)  # fmt: skip
enrollment_status = cells.ChoiceReader(
    EnrollmentStatus,
    {
        "在训": EnrollmentStatus.ENROLLED, "报名": EnrollmentStatus.ENROLLED, "已报名": EnrollmentStatus.ENROLLED,
        "结业": EnrollmentStatus.COMPLETED, "已结业": EnrollmentStatus.COMPLETED, "完成": EnrollmentStatus.COMPLETED,
        "退出": EnrollmentStatus.DROPPED, "中途退出": EnrollmentStatus.DROPPED, "退学": EnrollmentStatus.DROPPED,
    },
)  # fmt: skip
claim_kind = cells.ChoiceReader(
    ClaimKind,
    {
        "技能提升补贴": ClaimKind.SKILL_SUBSIDY, "技能补贴": ClaimKind.SKILL_SUBSIDY,
        "带徒津贴": ClaimKind.APPRENTICESHIP_STIPEND, "师带徒津贴": ClaimKind.APPRENTICESHIP_STIPEND,
        "学费补助": ClaimKind.TUITION, "学历提升": ClaimKind.TUITION, "学费": ClaimKind.TUITION,
        "工匠奖励": ClaimKind.CRAFTSMAN_AWARD, "工匠奖": ClaimKind.CRAFTSMAN_AWARD,
    },
)  # fmt: skip
degree = cells.ChoiceReader(
    Degree, {"大专": Degree.COLLEGE, "专科": Degree.COLLEGE, "本科": Degree.BACHELOR, "硕士": Degree.MASTER}
)


def _not_future(today: datetime.date):
    def parse(raw: object) -> datetime.date:
        value = cells.date(raw)
        if value > today:
            raise ValidationError(_("The date cannot be in the future."))
        return value

    return parse


def _whole_number(raw: object) -> int:
    value = cells.text(raw)
    if not value.isdigit() or len(value) > 9:
        raise ValidationError(_("“%(value)s” is not a whole number.") % {"value": value})
    return int(value)


def _yuan(raw: object) -> Decimal:
    value = cells.yuan(raw)
    if value <= 0 or value >= Decimal("10000000000"):
        raise ValidationError(_("The amount must be more than 0 yuan."))
    return value


def _program_reference(raw: object) -> int:
    value = program_id_from_reference(cells.text(raw))
    if value is None:
        raise ValidationError(_("“%(value)s” is not a program number such as PX000123.") % {"value": raw})
    return value


def _first_seen(seen: FirstSeen, key, row: int, errors: list, column: str, message: str) -> None:
    first = seen.setdefault(key, row)
    if first != row:
        errors.append((column, message % {"row": first}))


def _district_on(spells: list[tuple[int, datetime.date, datetime.date | None]], day: datetime.date):
    """The district of the employment spell valid on a day (as training.services.programs.district_on:
    the spells come in the same order, latest start first)."""
    for district_id, started_on, ended_on in spells:
        if employment_valid_on(started_on, ended_on, day):
            return district_id
    return None


# --- Programs ---------------------------------------------------------------------------------------------


class ProgramRecord(NamedTuple):
    row: int
    name: str
    program_type: str
    district_id: int
    provider_code: str | None
    provider_school: str | None
    occupation: str | None
    target_level: int | None
    starts_on: datetime.date
    ends_on: datetime.date
    capacity: int | None


PROGRAM_FIELDS = ("program_type", "provider_enterprise_id", "provider_school", "occupation", "target_level")
PROGRAM_FIELDS += ("ends_on", "capacity")


class TrainingProgramImporter(Importer):
    key = "programs"
    resource_class = TrainingProgramResource
    audit_action = "import.programs"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.enterprises = EnterpriseCache()
        self.credit_code = CreditCodes()
        self.seen = FirstSeen()
        self._name = short_text(200)
        self._school = short_text(200)
        self._occupation = short_text(64)
        self.district = DistrictReader()

    def parse(self, row: int, values: dict[str, object]):
        errors: list[tuple[str, str]] = []
        take = self.take
        name = take(errors, "name", self._name, values.get("name"), required=True)
        kind = take(errors, "program_type", program_type, values.get("program_type"), required=True)
        district_id = take(errors, "district", self.district, values.get("district"), required=True)
        code = take(errors, "provider_credit_code", self.credit_code, values.get("provider_credit_code"))
        school = take(errors, "provider_school", self._school, values.get("provider_school"))
        occupation = take(errors, "occupation", self._occupation, values.get("occupation"))
        level = take(errors, "target_level", cells.skill_level, values.get("target_level"))
        starts_on = take(errors, "starts_on", cells.date, values.get("starts_on"), required=True)
        ends_on = take(errors, "ends_on", cells.date, values.get("ends_on"), required=True)
        capacity = take(errors, "capacity", _whole_number, values.get("capacity"))
        if starts_on and ends_on and ends_on < starts_on:
            errors.append(("ends_on", _("A program cannot end before it starts.")))
        if capacity == 0:
            errors.append(("capacity", _("The capacity must be at least 1; leave it blank for no limit.")))
        if name and district_id and starts_on:
            message = _(
                "This program (name, district and start date) already appears in row %(row)d of the file."
            )
            _first_seen(self.seen, (district_id, name, starts_on), row, errors, "name", message)
        if errors:
            return None, errors
        record = ProgramRecord(
            row, name, kind, district_id, code, school, occupation, level, starts_on, ends_on, capacity
        )
        return record, []

    def plan(self, records: list[ProgramRecord], *, lock: bool):
        if not records:
            return [], []
        self.enterprises.load({r.provider_code for r in records if r.provider_code})
        found = TrainingProgram.objects.filter(
            name__in={r.name for r in records},
            district_id__in={r.district_id for r in records},
            starts_on__in={r.starts_on for r in records},
        )
        if lock:
            found = found.select_for_update().order_by("pk")
        existing = {(p.district_id, p.name, p.starts_on): p for p in found}
        planned: list[Planned] = []
        errors: list[RowError] = []
        for r in records:
            if not self.can_write_district(r.district_id):
                errors.append(RowError(r.row, "district", _("You may not change records of this district.")))
                continue
            values: dict[str, Any] = {"program_type": r.program_type, "ends_on": r.ends_on}
            if r.provider_code:
                enterprise = self.enterprises.get(r.provider_code)
                if enterprise is None:
                    errors.append(
                        RowError(
                            r.row,
                            "provider_credit_code",
                            _("No enterprise with this credit code is registered."),
                        )
                    )
                    continue
                values["provider_enterprise_id"] = enterprise.id
            for field in ("provider_school", "occupation", "target_level", "capacity"):
                value = getattr(r, field)
                if value is not None:
                    values[field] = value
            program = existing.get((r.district_id, r.name, r.starts_on))
            if program is None:
                if not r.provider_code and not r.provider_school:
                    errors.append(
                        RowError(
                            r.row,
                            "provider_school",
                            _("Name the enterprise or the school that provides the program."),
                        )
                    )
                    continue
                planned.append(Planned(r, NEW, extra=values))
                continue
            changes = tuple(f for f, v in values.items() if getattr(program, f) != v)
            planned.append(Planned(r, UPDATE if changes else SAME, changes, target=program, extra=values))
        return planned, errors

    def write(self, planned: list[Planned]) -> None:
        new, changed, fields = [], [], set()
        for item in planned:
            r = item.record
            if item.action == NEW:
                new.append(
                    TrainingProgram(
                        name=r.name,
                        district_id=r.district_id,
                        starts_on=r.starts_on,
                        provider_school=item.extra.get("provider_school", ""),
                        occupation=item.extra.get("occupation", ""),
                        **{k: v for k, v in item.extra.items() if k not in ("provider_school", "occupation")},
                    )
                )
            elif item.action == UPDATE:
                for field in item.changes:
                    setattr(item.target, field, item.extra[field])
                fields.update(item.changes)
                changed.append(item.target)
        if new:
            TrainingProgram.objects.bulk_create(new, batch_size=BATCH)
        if changed:
            TrainingProgram.objects.bulk_update(changed, sorted(fields), batch_size=BATCH)

    def preview_headers(self) -> list[str]:
        return [
            _("Row"),
            _("What happens"),
            self.header("name"),
            self.header("program_type"),
            self.header("district"),
            self.header("starts_on"),
            self.header("ends_on"),
        ]

    def preview_row(self, item: Planned) -> list[str]:
        r = item.record
        return [
            str(r.row),
            action_label(item.action),
            r.name,
            str(ProgramType(r.program_type).label),
            self.district.names.get(r.district_id, ""),
            r.starts_on.isoformat(),
            r.ends_on.isoformat(),
        ]


# --- Enrolments -------------------------------------------------------------------------------------------


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
        self._date = _not_future(self.today)

    def parse(self, row: int, values: dict[str, object]):
        errors: list[tuple[str, str]] = []
        take = self.take
        program_id = take(
            errors, "program_reference", _program_reference, values.get("program_reference"), required=True
        )
        number, _birth, _gender = id_number(errors, "id_number", values.get("id_number"), self.today)
        enrolled_on = take(errors, "enrolled_on", self._date, values.get("enrolled_on"), required=True)
        status = take(errors, "status", enrollment_status, values.get("status"))
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
            _first_seen(self.seen, (program_id, number), row, errors, "id_number", message)
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


# --- Claims -----------------------------------------------------------------------------------------------


class ClaimRecord(NamedTuple):
    row: int
    kind: str
    id_hash: str
    id_masked: str
    certificate_number: str | None = None
    program_type: str = ""
    apprentice_hash: str | None = None
    apprenticeship_starts_on: datetime.date | None = None
    title_id: int | None = None
    award_year: int | None = None
    tuition: dict | None = None
    note: str = ""


#: The column that a rule's refusal of each kind points at, by the service's field name.
CLAIM_COLUMNS = {
    "certificate": "certificate_number",
    "award": "award_title",
    "apprenticeship": "apprentice_id_number",
    "relevant_to_job": "relevant_to_job",
    "paid_on": "tuition_paid_on",
    "bank_account": "id_number",
    "receipt": "kind",
}
MAIN_COLUMN = {
    ClaimKind.SKILL_SUBSIDY: "certificate_number",
    ClaimKind.CRAFTSMAN_AWARD: "award_title",
    ClaimKind.APPRENTICESHIP_STIPEND: "apprentice_id_number",
    ClaimKind.TUITION: "tuition_paid",
}


class ClaimImporter(Importer):
    key = "claims"
    resource_class = ClaimResource
    audit_action = "import.claims"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.id_index = Worker._meta.get_field("id_number_hash").index_for
        self.title = TitleReader()
        self.seen = FirstSeen()
        #: subsidies per (worker, year) and (worker, occupation, level) in the rows checked so far
        self.subsidies: Counter[tuple] = Counter()
        self._number = short_text(64)
        self._text = short_text(128)
        self._note = short_text(255)
        self._date = _not_future(self.today)

    def parse(self, row: int, values: dict[str, object]):
        errors: list[tuple[str, str]] = []
        take = self.take
        kind = take(errors, "kind", claim_kind, values.get("kind"), required=True)
        number, _birth, _gender = id_number(errors, "id_number", values.get("id_number"), self.today)
        note = take(errors, "note", self._note, values.get("note")) or ""
        details: dict[str, Any] = {}
        duplicate = None
        if kind == ClaimKind.SKILL_SUBSIDY:
            details["certificate_number"] = take(
                errors, "certificate_number", self._number, values.get("certificate_number"), required=True
            )
            details["program_type"] = (
                take(errors, "program_type", program_type, values.get("program_type")) or ""
            )
            duplicate = ("certificate", details["certificate_number"])
        elif kind == ClaimKind.APPRENTICESHIP_STIPEND:
            apprentice, _b, _g = id_number(
                errors, "apprentice_id_number", values.get("apprentice_id_number"), self.today
            )
            details["apprentice_hash"] = self.id_index(apprentice) if apprentice else None
            details["apprenticeship_starts_on"] = take(
                errors, "apprenticeship_starts_on", cells.date, values.get("apprenticeship_starts_on")
            )
            duplicate = ("stipend", number, apprentice, details["apprenticeship_starts_on"])
        elif kind == ClaimKind.CRAFTSMAN_AWARD:
            details["title_id"] = take(
                errors, "award_title", self.title, values.get("award_title"), required=True
            )
            details["award_year"] = take(
                errors, "award_year", cells.year, values.get("award_year"), required=True
            )
            duplicate = ("award", number, details["title_id"], details["award_year"])
        elif kind == ClaimKind.TUITION:
            tuition = {
                "degree": take(errors, "degree", degree, values.get("degree"), required=True),
                "institution": take(
                    errors, "institution", self._text, values.get("institution"), required=True
                ),
                "major": take(errors, "major", self._text, values.get("major"), required=True),
                "tuition_paid": take(
                    errors, "tuition_paid", _yuan, values.get("tuition_paid"), required=True
                ),
                "paid_on": take(
                    errors, "tuition_paid_on", self._date, values.get("tuition_paid_on"), required=True
                ),
                "relevant_to_job": take(
                    errors, "relevant_to_job", cells.yes_no, values.get("relevant_to_job"), required=True
                ),
            }
            details["tuition"] = tuition
            duplicate = ("tuition", number, tuition["institution"], tuition["major"], tuition["paid_on"])
        if duplicate and None not in duplicate and number:
            message = _("This claim already appears in row %(row)d of the file.")
            _first_seen(self.seen, duplicate, row, errors, MAIN_COLUMN[kind], message)
        if errors:
            return None, errors
        return ClaimRecord(row, kind, self.id_index(number), mask_id_number(number), note=note, **details), []

    def plan(self, records: list[ClaimRecord], *, lock: bool):
        if not records:
            return [], []
        found = Worker.objects.filter(id_number_hash__in={r.id_hash for r in records})
        if lock:
            found = found.select_for_update().order_by("pk")
        workers = {w.id_number_hash: w for w in found}
        worker_ids = [w.pk for w in workers.values()]
        certificates = {
            c.number: c
            for c in SkillCertificate.objects.filter(
                number__in={r.certificate_number for r in records if r.certificate_number}
            )
        }
        awards = {
            (a.worker_id, a.title_id, a.year): a
            for a in CraftsmanAward.objects.filter(worker_id__in=worker_ids).select_related("title")
        }
        pairs = defaultdict(list)
        for pair in Apprenticeship.objects.filter(master_id__in=worker_ids).select_related("apprentice"):
            pairs[(pair.master_id, pair.apprentice.id_number_hash)].append(pair)
        live = Claim.objects.filter(worker_id__in=worker_ids).exclude(status__in=_CLOSED)
        claimed = set()
        for certificate_id, award_id, apprenticeship_id in live.values_list(
            "certificate_id", "award_id", "apprenticeship_id"
        ):
            claimed.update(
                {("certificate", certificate_id), ("award", award_id), ("stipend", apprenticeship_id)}
            )
        claimed.update(
            ("tuition", *key)
            for key in TuitionDetail.objects.filter(claim__in=live).values_list(
                "claim__worker_id", "institution", "major", "paid_on"
            )
        )
        this_year = dict(
            live.filter(kind=ClaimKind.SKILL_SUBSIDY, submitted_at__year=self.today.year)
            .values("worker_id")
            .annotate(n=Count("id"))
            .values_list("worker_id", "n")
        )
        # While writing, earlier chunks are in the database already: count only this chunk's rows.
        counted = Counter() if lock else self.subsidies

        planned: list[Planned] = []
        errors: list[RowError] = []
        for r in records:
            worker = workers.get(r.id_hash)
            if worker is None:
                errors.append(RowError(r.row, "id_number", _("No worker with this ID number is registered.")))
                continue
            if not self.can_write_district(worker.district_id):
                errors.append(RowError(r.row, "id_number", _("This worker is not in your district.")))
                continue
            try:
                outcome = self._judge(r, worker, certificates, awards, pairs, claimed, this_year, counted)
            except ValidationError as exc:
                for field, messages in _fields(exc):
                    column = CLAIM_COLUMNS.get(field, MAIN_COLUMN[r.kind])
                    errors.append(RowError(r.row, column, " ".join(messages)))
                continue
            planned.append(Planned(r, outcome[0], extra=(worker, *outcome[1:])))
        return planned, errors

    def _judge(self, r: ClaimRecord, worker, certificates, awards, pairs, claimed, this_year, counted):
        """(action, links, rule, amount): what claim_submit would do with the row, without writing."""
        today = self.today
        if r.kind == ClaimKind.SKILL_SUBSIDY:
            certificate = certificates.get(r.certificate_number)
            if certificate is None:
                raise ValidationError({"certificate": [_("No certificate with this number is registered.")]})
            links = {"certificate_id": certificate.pk, "program_type": r.program_type}
            if ("certificate", certificate.pk) in claimed and certificate.worker_id == worker.pk:
                return SAME, links, None, None
            rule, amount = rules.skill_subsidy_terms(
                worker=worker, certificate=certificate, submitted_on=today, program_type=r.program_type
            )
            same_level = (worker.pk, certificate.occupation, certificate.level)
            if counted[same_level]:
                raise ValidationError(
                    {
                        "certificate": [
                            _(
                                "A subsidy for %(occupation)s at this level has already been claimed; each occupation and level is paid once."
                            )
                            % {"occupation": certificate.occupation}
                        ]
                    }
                )
            year = (worker.pk, today.year)
            if (
                rule.yearly_limit is not None
                and this_year.get(worker.pk, 0) + counted[year] >= rule.yearly_limit
            ):
                raise ValidationError(
                    _(
                        "Rule “%(rule)s”: at most %(limit)s subsidies per person per calendar year; %(count)s already submitted in %(year)s."
                    )
                    % {
                        "rule": rule.name,
                        "limit": rule.yearly_limit,
                        "count": this_year.get(worker.pk, 0) + counted[year],
                        "year": today.year,
                    }
                )
            counted[same_level] += 1
            counted[year] += 1
        elif r.kind == ClaimKind.CRAFTSMAN_AWARD:
            award = awards.get((worker.pk, r.title_id, r.award_year))
            if award is None:
                raise ValidationError({"award": [_("The registry holds no such award of this worker.")]})
            links = {"award_id": award.pk}
            if ("award", award.pk) in claimed:
                return SAME, links, None, None
            rule, amount, _reference = rules.award_terms(worker=worker, award=award)
            rules.award_once(worker_id=worker.pk, title=award.title)
            if counted[("award", worker.pk, award.title_id)]:
                raise ValidationError(
                    {
                        "award": [
                            _("The award for %(title)s is paid once per person.")
                            % {"title": award.title.name}
                        ]
                    }
                )
            counted[("award", worker.pk, award.title_id)] += 1
        elif r.kind == ClaimKind.APPRENTICESHIP_STIPEND:
            candidates = [
                p
                for p in pairs.get((worker.pk, r.apprentice_hash), [])
                if r.apprenticeship_starts_on in (None, p.starts_on)
            ]
            if not candidates:
                raise ValidationError(
                    {"apprenticeship": [_("The registry holds no such apprenticeship of this master.")]}
                )
            if len(candidates) > 1:
                raise ValidationError(
                    {
                        "apprenticeship": [
                            _("The pair has several agreements; fill in the agreement's start date.")
                        ]
                    }
                )
            pair = candidates[0]
            links = {"apprenticeship_id": pair.pk}
            if ("stipend", pair.pk) in claimed:
                return SAME, links, None, None
            rule, amount, _reference = rules.stipend_terms(apprenticeship=pair, submitted_on=today)
        else:
            t = r.tuition
            links = {"tuition": t}
            if ("tuition", worker.pk, t["institution"], t["major"], t["paid_on"]) in claimed:
                return SAME, links, None, None
            # The rules' own refusal first, as on the claim's page (relevance, a rule in force).
            rules.tuition_terms(
                tuition_paid=t["tuition_paid"], paid_on=t["paid_on"], relevant_to_job=t["relevant_to_job"]
            )
            # Every tuition claim needs its receipt, and a spreadsheet cannot carry one: a paper claim is
            # entered on the claim's page with the scan. A row already entered there stays unchanged.
            raise ValidationError(
                {
                    "receipt": [
                        _(
                            "A tuition claim needs its receipt, which a spreadsheet cannot carry: enter it on the claim page (Add claim) with the scan of the receipt."
                        )
                    ]
                }
            )
        if not worker.bank_account:
            raise ValidationError(
                {"bank_account": [_("No bank account is on file for the payee; add one first.")]}
            )
        return NEW, links, rule, amount

    def write(self, planned: list[Planned]) -> None:
        for item in planned:
            if item.action != NEW:
                continue
            worker, links = item.extra[0], item.extra[1]
            try:
                claim_submit(
                    by=self.user, worker_id=worker.pk, kind=item.record.kind, note=item.record.note, **links
                )
            except ValidationError as exc:
                # The check passed a moment ago: someone else's claim took the place meanwhile.
                raise RegistryChanged(str(exc)) from exc

    def preview_headers(self) -> list[str]:
        return [
            _("Row"),
            _("What happens"),
            self.header("kind"),
            self.header("id_number"),
            _("worker"),
            _("amount (yuan)"),
            _("rule applied"),
        ]

    def preview_row(self, item: Planned) -> list[str]:
        r = item.record
        worker, _links, rule, amount = item.extra
        return [
            str(r.row),
            action_label(item.action),
            str(ClaimKind(r.kind).label),
            r.id_masked,
            worker.name,
            f"{amount:,.2f}" if amount is not None else "",
            rule.name if rule is not None else "",
        ]


def _fields(error: ValidationError) -> list[tuple[str | None, list[str]]]:
    if hasattr(error, "error_dict"):
        return [(None if f == "__all__" else f, list(m)) for f, m in error.message_dict.items()]
    return [(None, list(error.messages))]
