"""Importing enterprises: one row per enterprise, keyed on the unified social credit code.

Leaves what enterprise_register / enterprise_update would: a new enterprise in the named district,
or a registered one with its editable details changed; its credit code and district stay fixed.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import NamedTuple

from django.utils import timezone
from django.utils.translation import gettext as _

from portal.spreadsheets.pipeline import NEW, SAME, UPDATE, Importer, Planned, RowError, action_label
from portal.spreadsheets.seen import FirstSeen
from workers.importers import cells
from workers.importers.lookups import DistrictReader
from workers.importers.worker import BATCH, CreditCodes, short_text
from workers.models import Enterprise
from workers.resources import EnterpriseResource

DETAIL_FIELDS = (
    "name",
    "address",
    "ownership",
    "above_scale",
    "union_established_on",
    "size_band",
    "pilot_level",
)


class EnterpriseRecord(NamedTuple):
    row: int
    name: str
    credit_code: str
    district_id: int
    address: str | None
    ownership: str | None
    above_scale: bool | None
    union_established_on: datetime.date | None
    size_band: str | None
    pilot_level: str | None


class EnterpriseImporter(Importer):
    key = "enterprises"
    resource_class = EnterpriseResource
    audit_action = "import.enterprises"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.credit_code = CreditCodes()
        self.seen = FirstSeen()
        self._names = short_text(200)
        self._address = short_text(255)
        self.district = DistrictReader()
        self._district_names = self.district.names

    def parse(self, row: int, values: dict[str, object]):
        errors: list[tuple[str, str]] = []
        take = self.take
        name = take(errors, "name", self._names, values.get("name"), required=True)
        code = take(errors, "credit_code", self.credit_code, values.get("credit_code"), required=True)
        if code:
            first = self.seen.setdefault(code, row)
            if first != row:
                errors.append(
                    (
                        "credit_code",
                        _("This credit code already appears in row %(row)d of the file.") % {"row": first},
                    )
                )
        district_id = take(errors, "district", self.district, values.get("district"), required=True)
        address = take(errors, "address", self._address, values.get("address"))
        ownership = take(errors, "ownership", cells.ownership, values.get("ownership"))
        above_scale = take(errors, "above_scale", cells.yes_no, values.get("above_scale"))
        union_on = take(errors, "union_established_on", cells.date, values.get("union_established_on"))
        size_band = take(errors, "size_band", cells.size_band, values.get("size_band"))
        pilot_level = take(errors, "pilot_level", cells.pilot_level, values.get("pilot_level"))
        if errors:
            return None, errors
        record = EnterpriseRecord(
            row, name, code, district_id, address, ownership, above_scale, union_on, size_band, pilot_level
        )
        return record, []

    def plan(self, records: list[EnterpriseRecord], *, lock: bool):
        if not records:
            return [], []
        found = Enterprise.objects.filter(credit_code__in=[r.credit_code for r in records])
        if lock:
            found = found.select_for_update().order_by("pk")
        existing = {e.credit_code: e for e in found}
        planned: list[Planned] = []
        errors: list[RowError] = []
        for r in records:
            enterprise = existing.get(r.credit_code)
            if enterprise is None:
                if not self.can_write_district(r.district_id):
                    errors.append(RowError(r.row, "district", _("This enterprise is not in your district.")))
                else:
                    planned.append(Planned(r, NEW))
                continue
            if not self.can_write_district(enterprise.district_id):
                errors.append(RowError(r.row, "credit_code", _("This enterprise is not in your district.")))
                continue
            if enterprise.district_id != r.district_id:
                errors.append(
                    RowError(
                        r.row,
                        "district",
                        _(
                            "The district of a registered enterprise cannot be changed; it is registered in "
                            "%(district)s."
                        )
                        % {"district": self._district_names.get(enterprise.district_id)},
                    )
                )
                continue
            changes = tuple(
                f
                for f in DETAIL_FIELDS
                if (value := getattr(r, f)) is not None and value != getattr(enterprise, f)
            )
            planned.append(Planned(r, UPDATE if changes else SAME, changes, target=enterprise))
        return planned, errors

    def write(self, planned: list[Planned]) -> None:
        new = []
        groups: dict[tuple[str, ...], list[Enterprise]] = defaultdict(list)
        now = timezone.now()
        for item in planned:
            r = item.record
            if item.action == NEW:
                details = {f: getattr(r, f) for f in DETAIL_FIELDS if getattr(r, f) is not None}
                new.append(Enterprise(credit_code=r.credit_code, district_id=r.district_id, **details))
            elif item.action == UPDATE:
                enterprise = item.target
                for name in item.changes:
                    setattr(enterprise, name, getattr(r, name))
                enterprise.updated_at = now
                groups[tuple(sorted({*item.changes, "updated_at"}))].append(enterprise)
        if new:
            Enterprise.objects.bulk_create(new, batch_size=BATCH)
        for fields, enterprises in groups.items():
            Enterprise.objects.bulk_update(enterprises, fields, batch_size=BATCH)

    def preview_headers(self) -> list[str]:
        return [
            _("Row"),
            _("What happens"),
            self.header("name"),
            self.header("credit_code"),
            self.header("district"),
            _("Changed columns"),
        ]

    def preview_row(self, item: Planned) -> list[str]:
        r = item.record
        return [
            str(r.row),
            action_label(item.action),
            r.name,
            r.credit_code,
            self._district_names.get(r.district_id, ""),
            "、".join(self.header(c) for c in item.changes),
        ]
