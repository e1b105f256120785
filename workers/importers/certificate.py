"""Importing skill certificates: one row per certificate, keyed on its number.

Leaves what certificate_issue would: the certificate, and the worker's skill level refreshed (once,
set-based, for every worker who got one). A registered certificate is never changed by an import.
"""

from __future__ import annotations

import datetime
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from portal.masking import mask_id_number
from portal.spreadsheets.pipeline import CHUNK_ROWS, NEW, SAME, Importer, Planned, RowError, action_label
from portal.spreadsheets.seen import FirstSeen
from workers.choices import SkillLevel
from workers.importers import cells
from workers.importers.lookups import workers_by_hash
from workers.importers.worker import BATCH, id_number, short_text
from workers.models import SkillCertificate, Worker
from workers.resources import SkillCertificateResource
from workers.services import skill_levels_refresh


class CertificateRecord(NamedTuple):
    row: int
    id_hash: str
    id_masked: str
    number: str
    occupation: str
    level: int
    issuing_body: str | None
    issued_on: datetime.date


class SkillCertificateImporter(Importer):
    key = "certificates"
    resource_class = SkillCertificateResource
    audit_action = "import.certificates"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.seen = FirstSeen()
        self.id_index = Worker._meta.get_field("id_number_hash").index_for
        self.affected: set[int] = set()
        self._short = short_text(64)
        self._body = short_text(128)

    def issued_on(self, raw: object) -> datetime.date:
        value = cells.date(raw)
        if value > self.today:
            raise ValidationError(_("A certificate cannot be issued in the future."))
        return value

    def parse(self, row: int, values: dict[str, object]):
        errors: list[tuple[str, str]] = []
        take = self.take
        number_id, _birth, _gender = id_number(errors, "id_number", values.get("id_number"), self.today)
        number = take(errors, "number", self._short, values.get("number"), required=True)
        if number:
            first = self.seen.setdefault(number, row)
            if first != row:
                errors.append(
                    (
                        "number",
                        _("This certificate number already appears in row %(row)d of the file.")
                        % {"row": first},
                    )
                )
        occupation = take(errors, "occupation", self._short, values.get("occupation"), required=True)
        level = take(errors, "level", cells.skill_level, values.get("level"), required=True)
        body = take(errors, "issuing_body", self._body, values.get("issuing_body"))
        issued_on = take(errors, "issued_on", self.issued_on, values.get("issued_on"), required=True)
        if errors:
            return None, errors
        record = CertificateRecord(
            row,
            self.id_index(number_id),
            mask_id_number(number_id),
            number,
            occupation,
            level,
            body,
            issued_on,
        )
        return record, []

    def plan(self, records: list[CertificateRecord], *, lock: bool):
        if not records:
            return [], []
        workers = workers_by_hash({r.id_hash for r in records}, lock=lock)
        found = SkillCertificate.objects.filter(number__in=[r.number for r in records])
        if lock:
            found = found.select_for_update().order_by("pk")
        existing = {c.number: c for c in found}
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
            certificate = existing.get(r.number)
            if certificate is not None:
                same = (
                    certificate.worker_id == worker.id
                    and certificate.level == r.level
                    and certificate.occupation == r.occupation
                    and certificate.issued_on == r.issued_on
                    and (r.issuing_body is None or certificate.issuing_body == r.issuing_body)
                )
                if same:
                    planned.append(Planned(r, SAME, target=certificate, extra=worker))
                else:
                    errors.append(
                        RowError(
                            r.row,
                            "number",
                            _("A certificate with this number is already registered with other details."),
                        )
                    )
                continue
            if r.issued_on < worker.birth_date:
                errors.append(
                    RowError(r.row, "issued_on", _("The issue date is before the worker's birth date."))
                )
                continue
            planned.append(Planned(r, NEW, extra=worker))
        return planned, errors

    def write(self, planned: list[Planned]) -> None:
        new = []
        for item in planned:
            if item.action != NEW:
                continue
            r = item.record
            new.append(
                SkillCertificate(
                    worker_id=item.extra.id,
                    level=r.level,
                    occupation=r.occupation,
                    number=r.number,
                    issuing_body=r.issuing_body or "",
                    issued_on=r.issued_on,
                )
            )
            self.affected.add(item.extra.id)
        if new:
            SkillCertificate.objects.bulk_create(new, batch_size=BATCH)

    def finish(self) -> None:
        # One set-based UPDATE per batch of workers (a bound on the query's parameters).
        affected = sorted(self.affected)
        for start in range(0, len(affected), CHUNK_ROWS):
            skill_levels_refresh(affected[start : start + CHUNK_ROWS], on_date=self.today)

    def preview_headers(self) -> list[str]:
        return [
            _("Row"),
            _("What happens"),
            self.header("id_number"),
            _("worker"),
            self.header("number"),
            self.header("level"),
            self.header("issued_on"),
        ]

    def preview_row(self, item: Planned) -> list[str]:
        r = item.record
        return [
            str(r.row),
            action_label(item.action),
            r.id_masked,
            item.extra.name,
            r.number,
            str(SkillLevel(r.level).label),
            r.issued_on.isoformat(),
        ]
