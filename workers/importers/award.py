"""Importing craftsman awards: one row per award, keyed on worker, title and year.

Leaves what award_grant would; a registered award is never changed by an import.
"""

from __future__ import annotations

from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from portal.masking import mask_id_number
from portal.spreadsheets.pipeline import NEW, SAME, Importer, Planned, RowError, action_label
from portal.spreadsheets.seen import FirstSeen
from workers.choices import Nomination
from workers.importers import cells
from workers.importers.lookups import TitleReader, workers_by_hash
from workers.importers.worker import BATCH, id_number
from workers.models import CraftsmanAward, Worker
from workers.resources import CraftsmanAwardResource

FIRST_YEAR = 1990


class AwardRecord(NamedTuple):
    row: int
    id_hash: str
    id_masked: str
    title_id: int
    year: int
    locally_trained: bool | None
    nominated_by: str


class CraftsmanAwardImporter(Importer):
    key = "awards"
    resource_class = CraftsmanAwardResource
    audit_action = "import.awards"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.title = TitleReader()
        self.title_names = self.title.names
        self.seen = FirstSeen()
        self.id_index = Worker._meta.get_field("id_number_hash").index_for

    def year(self, raw: object) -> int:
        value = cells.year(raw)
        if value > self.today.year:
            raise ValidationError(_("An award year cannot be in the future."))
        if value < FIRST_YEAR:
            raise ValidationError(_("The award year must be %(year)d or later.") % {"year": FIRST_YEAR})
        return value

    def parse(self, row: int, values: dict[str, object]):
        errors: list[tuple[str, str]] = []
        take = self.take
        number, _birth, _gender = id_number(errors, "id_number", values.get("id_number"), self.today)
        title_id = take(errors, "title", self.title, values.get("title"), required=True)
        year = take(errors, "year", self.year, values.get("year"), required=True)
        locally_trained = take(errors, "locally_trained", cells.yes_no, values.get("locally_trained"))
        nominated_by = take(
            errors, "nominated_by", cells.nomination, values.get("nominated_by"), required=True
        )
        if number and title_id and year:
            first = self.seen.setdefault((int(number[:17]), title_id, year), row)
            if first != row:
                errors.append(
                    ("title", _("This award already appears in row %(row)d of the file.") % {"row": first})
                )
        if errors:
            return None, errors
        record = AwardRecord(
            row, self.id_index(number), mask_id_number(number), title_id, year, locally_trained, nominated_by
        )
        return record, []

    def plan(self, records: list[AwardRecord], *, lock: bool):
        if not records:
            return [], []
        workers = workers_by_hash({r.id_hash for r in records}, lock=lock)
        ids = [w.id for w in workers.values()]
        existing = {
            (worker_id, title_id, year): (locally_trained, nominated_by)
            for worker_id, title_id, year, locally_trained, nominated_by in CraftsmanAward.objects.filter(
                worker_id__in=ids, title_id__in={r.title_id for r in records}
            ).values_list("worker_id", "title_id", "year", "locally_trained", "nominated_by")
        }
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
            held = existing.get((worker.id, r.title_id, r.year))
            if held is None:
                planned.append(Planned(r, NEW, extra=worker))
            elif (r.locally_trained is None or held[0] == r.locally_trained) and held[1] == r.nominated_by:
                planned.append(Planned(r, SAME, extra=worker))
            else:
                errors.append(
                    RowError(r.row, "title", _("This worker already holds this title for that year."))
                )
        return planned, errors

    def write(self, planned: list[Planned]) -> None:
        new = [
            CraftsmanAward(
                worker_id=item.extra.id,
                title_id=item.record.title_id,
                year=item.record.year,
                locally_trained=bool(item.record.locally_trained),
                nominated_by=item.record.nominated_by,
            )
            for item in planned
            if item.action == NEW
        ]
        if new:
            CraftsmanAward.objects.bulk_create(new, batch_size=BATCH)

    def preview_headers(self) -> list[str]:
        return [
            _("Row"),
            _("What happens"),
            self.header("id_number"),
            _("worker"),
            self.header("title"),
            self.header("year"),
            self.header("nominated_by"),
        ]

    def preview_row(self, item: Planned) -> list[str]:
        r = item.record
        return [
            str(r.row),
            action_label(item.action),
            r.id_masked,
            item.extra.name,
            self.title_names.get(r.title_id, ""),
            str(r.year),
            str(Nomination(r.nominated_by).label),
        ]
