"""Importing transferred cases (移交案件清单) from an arbitration commission or a court: one row per case.

Runs in the registry's import pipeline (portal/spreadsheets/pipeline.py: check in chunks, preview, write
everything in one transaction, an error report of the bad rows). Each row is keyed on its source and
the transferring body's own case number, so importing the same list twice adds nothing. A new row
leaves what case_apply would: an applied case, numbered in its district and year, due 15 days after
the day of receipt, its applicants, and its first timeline event. Walk-in and online cases are not
imported: they are registered one by one (the admin form, the API, the worker's application).
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mediation import deadlines
from mediation.choices import TRANSFERRED_SOURCES, CaseSource, CaseStatus, DisputeType, EventType
from mediation.importers import cells
from mediation.models import CaseApplicant, CaseEvent, DisputeCase
from mediation.numbering import numbers_draw
from mediation.resources import DisputeCaseResource
from portal.masking import mask_id_number
from portal.models import District
from portal.spreadsheets.pipeline import NEW, SAME, Importer, Planned, RowError, action_label
from portal.spreadsheets.seen import FirstSeen
from workers import validators
from workers.importers.lookups import EnterpriseCache, workers_by_hash
from workers.importers.worker import CreditCodes, short_text
from workers.models import Employment, Worker

MAX_APPLICANTS = 20
_APPLICANT_SEPARATORS = re.compile(r"[、,，;；/\s]+")


class CaseRecord(NamedTuple):
    row: int
    credit_code: str
    id_hashes: tuple[str, ...]
    id_masked: tuple[str, ...]
    dispute_type: str
    claim: str
    claimed_amount: Decimal | None
    source: str
    external_reference: str
    received_on: datetime.date


class CaseRef(NamedTuple):
    enterprise_id: int
    district_id: int
    enterprise_name: str
    worker_ids: tuple[int, ...]


claimed_amount = cells.yuan


class DisputeCaseImporter(Importer):
    key = "cases"
    resource_class = DisputeCaseResource
    audit_action = "import.cases"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.enterprises = EnterpriseCache()
        self.credit_code = CreditCodes()
        self.id_index = Worker._meta.get_field("id_number_hash").index_for
        self.seen = FirstSeen()
        self._claim = short_text(5000, multiline=True)
        self._reference = short_text(64)
        self._districts = {d.pk: d for d in District.objects.all()}

    # --- cells ------------------------------------------------------------------------------------------

    def received_on(self, raw: object) -> datetime.date:
        value = cells.date(raw)
        if value > self.today:
            raise ValidationError(_("The date cannot be in the future."))
        return value

    def transferred_source(self, raw: object) -> str:
        value = cells.source(raw)
        if value not in TRANSFERRED_SOURCES:
            raise ValidationError(
                _("Only transferred cases are imported (%(sources)s); register other cases one by one.")
                % {"sources": "、".join(str(CaseSource(s).label) for s in TRANSFERRED_SOURCES)}
            )
        return value

    def applicants(self, raw: object) -> list[str]:
        numbers = []
        for part in _APPLICANT_SEPARATORS.split(cells.text(raw)):
            if not part:
                continue
            number = validators.id_number_from_excel(part)
            validators.validate_id_number(number, today=self.today)
            numbers.append(number)
        if not numbers:
            raise ValidationError(_("This column is required."))
        if len(numbers) > MAX_APPLICANTS:
            raise ValidationError(_("At most %(limit)d applicants per case.") % {"limit": MAX_APPLICANTS})
        return list(dict.fromkeys(numbers))

    def parse(self, row: int, values: dict[str, object]):
        errors: list[tuple[str, str]] = []
        take = self.take
        code = take(errors, "credit_code", self.credit_code, values.get("credit_code"), required=True)
        numbers = take(
            errors, "applicant_id_numbers", self.applicants, values.get("applicant_id_numbers"), required=True
        )
        kind = take(errors, "dispute_type", cells.dispute_type, values.get("dispute_type"), required=True)
        claim = take(errors, "claim", self._claim, values.get("claim"), required=True)
        amount = take(errors, "claimed_amount", claimed_amount, values.get("claimed_amount"))
        origin = take(errors, "source", self.transferred_source, values.get("source"), required=True)
        reference = take(
            errors, "external_reference", self._reference, values.get("external_reference"), required=True
        )
        received = take(errors, "received_on", self.received_on, values.get("received_on"), required=True)
        if origin and reference:
            first = self.seen.setdefault((origin, reference), row)
            if first != row:
                errors.append(
                    (
                        "external_reference",
                        _("This case already appears in row %(row)d of the file.") % {"row": first},
                    )
                )
        if errors:
            return None, errors
        record = CaseRecord(
            row, code, tuple(self.id_index(n) for n in numbers), tuple(mask_id_number(n) for n in numbers),
            kind, claim, amount, origin, reference, received,
        )  # fmt: skip
        return record, []

    # --- chunks ----------------------------------------------------------------------------------------

    def plan(self, records: list[CaseRecord], *, lock: bool):
        if not records:
            return [], []
        self.enterprises.load({r.credit_code for r in records})
        workers = workers_by_hash({h for r in records for h in r.id_hashes}, lock=lock)
        existing = set(
            DisputeCase.objects.filter(
                source__in=TRANSFERRED_SOURCES, external_reference__in={r.external_reference for r in records}
            ).values_list("source", "external_reference")
        )
        # A district clerk names workers of their district, or people who worked at the enterprise.
        employed = set(
            Employment.objects.filter(
                worker_id__in={w.id for w in workers.values()},
                enterprise__credit_code__in={r.credit_code for r in records},
            ).values_list("worker_id", "enterprise__credit_code")
        )
        planned: list[Planned] = []
        errors: list[RowError] = []
        for r in records:
            enterprise = self.enterprises.get(r.credit_code)
            if enterprise is None:
                errors.append(
                    RowError(r.row, "credit_code", _("No enterprise with this credit code is registered."))
                )
                continue
            if not self.can_write_district(enterprise.district_id):
                errors.append(RowError(r.row, "credit_code", _("This enterprise is not in your district.")))
                continue
            found = [workers.get(h) for h in r.id_hashes]
            if None in found:
                missing = [m for m, w in zip(r.id_masked, found, strict=True) if w is None]
                errors.append(
                    RowError(
                        r.row,
                        "applicant_id_numbers",
                        _("No worker with this ID number is registered.") + " " + "、".join(missing),
                    )
                )
                continue
            if not self.scope.is_city and any(
                w.district_id != self.scope.district_id and (w.id, r.credit_code) not in employed
                for w in found
            ):
                errors.append(
                    RowError(r.row, "applicant_id_numbers", _("This worker is not in your district."))
                )
                continue
            ref = CaseRef(enterprise.id, enterprise.district_id, enterprise.name, tuple(w.id for w in found))
            action = SAME if (r.source, r.external_reference) in existing else NEW
            planned.append(Planned(r, action, extra=ref))
        return planned, errors

    def write(self, planned: list[Planned]) -> None:
        new = [item for item in planned if item.action == NEW]
        if not new:
            return
        groups: dict[tuple[int, int], list[Planned]] = defaultdict(list)
        for item in sorted(new, key=lambda i: (i.record.received_on, i.record.row)):
            groups[(item.extra.district_id, item.record.received_on.year)].append(item)
        by = self.user if getattr(self.user, "pk", None) else None
        cases: list[DisputeCase] = []
        for (district_id, year), items in sorted(groups.items()):
            numbers = numbers_draw(district=self._districts[district_id], year=year, count=len(items))
            for item, (sequence, number) in zip(items, numbers, strict=True):
                r = item.record
                cases.append(
                    DisputeCase(
                        number=number, district_id=district_id, year=year, sequence=sequence,
                        enterprise_id=item.extra.enterprise_id, dispute_type=r.dispute_type, claim=r.claim,
                        claimed_amount=r.claimed_amount, source=r.source, external_reference=r.external_reference,
                        status=CaseStatus.APPLIED, received_on=r.received_on,
                        due_on=deadlines.due_date(r.received_on), created_by=by,
                    )
                )  # fmt: skip
        DisputeCase.objects.bulk_create(cases, batch_size=1000)
        if any(case.pk is None for case in cases):  # a backend that does not return ids
            ids = dict(
                DisputeCase.objects.filter(number__in=[c.number for c in cases]).values_list("number", "pk")
            )
            for case in cases:
                case.pk = ids[case.number]
        ordered = [item for _key, items in sorted(groups.items()) for item in items]
        CaseApplicant.objects.bulk_create(
            [
                CaseApplicant(case_id=case.pk, worker_id=worker_id)
                for case, item in zip(cases, ordered, strict=True)
                for worker_id in item.extra.worker_ids
            ],
            batch_size=2000,
        )
        CaseEvent.objects.bulk_create(
            [
                CaseEvent(
                    case_id=case.pk,
                    event_type=EventType.APPLIED,
                    occurred_on=case.received_on,
                    by=by,
                    text=_("Imported from the list of transferred cases."),
                    due_on=case.due_on,
                )
                for case in cases
            ],
            batch_size=2000,
        )

    # --- preview ------------------------------------------------------------------------------------------

    def preview_headers(self) -> list[str]:
        return [
            _("Row"),
            _("What happens"),
            self.header("external_reference"),
            _("enterprise"),
            self.header("applicant_id_numbers"),
            self.header("dispute_type"),
            self.header("received_on"),
        ]

    def preview_row(self, item: Planned) -> list[str]:
        r = item.record
        return [
            str(r.row),
            action_label(item.action),
            r.external_reference,
            item.extra.enterprise_name,
            "、".join(r.id_masked),
            str(DisputeType(r.dispute_type).label),
            r.received_on.isoformat(),
        ]
