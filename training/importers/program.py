"""Importing training programs, keyed on (district, name, start date): a registered program is updated, a
new one added.
"""

from __future__ import annotations

import datetime
from typing import Any, NamedTuple

from django.utils.translation import gettext as _

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
from training.choices import ProgramType
from training.importers import cells
from training.models import TrainingProgram
from training.resources import TrainingProgramResource
from workers.importers.lookups import DistrictReader, EnterpriseCache
from workers.importers.worker import BATCH, CreditCodes, short_text


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
        kind = take(errors, "program_type", cells.program_type, values.get("program_type"), required=True)
        district_id = take(errors, "district", self.district, values.get("district"), required=True)
        code = take(errors, "provider_credit_code", self.credit_code, values.get("provider_credit_code"))
        school = take(errors, "provider_school", self._school, values.get("provider_school"))
        occupation = take(errors, "occupation", self._occupation, values.get("occupation"))
        level = take(errors, "target_level", cells.skill_level, values.get("target_level"))
        starts_on = take(errors, "starts_on", cells.date, values.get("starts_on"), required=True)
        ends_on = take(errors, "ends_on", cells.date, values.get("ends_on"), required=True)
        capacity = take(errors, "capacity", cells.whole_number, values.get("capacity"))
        if starts_on and ends_on and ends_on < starts_on:
            errors.append(("ends_on", _("A program cannot end before it starts.")))
        if capacity == 0:
            errors.append(("capacity", _("The capacity must be at least 1; leave it blank for no limit.")))
        if name and district_id and starts_on:
            message = _(
                "This program (name, district and start date) already appears in row %(row)d of the file."
            )
            cells.first_seen(self.seen, (district_id, name, starts_on), row, errors, "name", message)
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
