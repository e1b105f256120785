"""Importing targets: one row per indicator, year and district (empty: the whole city).

Runs in the shared pipeline (portal/spreadsheets/pipeline.py): the whole file is checked first, with an
error report per row and column; nothing is written while a row has an error unless "valid rows only"
is chosen; then every row is written in one transaction by indicators.services.targets_save. A
registered target is updated, a new one added, so importing the same file twice changes nothing.
Targets are the city's to set: only city staff import them.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from indicators.definitions import INDICATORS
from indicators.models import Target
from indicators.resources import TargetResource
from indicators.services import targets_save
from portal.spreadsheets import cells
from portal.spreadsheets.pipeline import NEW, SAME, UPDATE, Importer, Planned, RowError, action_label
from portal.spreadsheets.seen import FirstSeen
from workers.importers.lookups import DistrictReader

#: What Target.value holds: 18 digits, 4 of them after the point.
PLACES = Decimal("0.0001")
LIMIT = Decimal(10) ** 14
CITY_WORDS = ("全市", "city")


class TargetRecord(NamedTuple):
    row: int
    indicator: str
    year: int
    district_id: int | None
    value: Decimal
    note: str | None


def indicator_code(raw: object) -> str:
    code = cells.text(raw)
    if code not in INDICATORS:
        raise ValidationError(_("Unknown indicator code: %(code)s") % {"code": code})
    return code


def target_value(raw: object) -> Decimal:
    value = unicodedata.normalize("NFKC", cells.text(raw)).replace(",", "")
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or abs(number) >= LIMIT:
        raise ValidationError(_("“%(value)s” is not a number such as 3000 or 33.5.") % {"value": value})
    return number.quantize(PLACES)


class TargetImporter(Importer):
    key = "targets"
    resource_class = TargetResource
    audit_action = "import.targets"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.seen = FirstSeen()
        self.districts = DistrictReader()

    def district(self, raw: object) -> int | None:
        if cells.text(raw) in CITY_WORDS:
            return None
        return self.districts(raw)

    def note(self, raw: object) -> str:
        return cells.max_length(cells.text(raw), 255)

    def parse(self, row: int, values: dict[str, object]):
        errors: list[tuple[str, str]] = []
        take = self.take
        indicator = take(errors, "indicator", indicator_code, values.get("indicator"), required=True)
        year = take(errors, "year", cells.year, values.get("year"), required=True)
        district_id = take(errors, "district", self.district, values.get("district"))
        value = take(errors, "value", target_value, values.get("value"), required=True)
        note = take(errors, "note", self.note, values.get("note"))
        if indicator and year and not any(column == "district" for column, _message in errors):
            first = self.seen.setdefault((indicator, year, district_id), row)
            if first != row:
                errors.append(
                    (
                        "indicator",
                        _(
                            "This target (indicator, year and district) already appears in row %(row)d of the file."
                        )
                        % {"row": first},
                    )
                )
        if errors:
            return None, errors
        return TargetRecord(row, indicator, year, district_id, value, note), []

    def plan(self, records: list[TargetRecord], *, lock: bool):
        if not records:
            return [], []
        if not self.scope.is_city:
            message = _("Only city staff may set targets.")
            return [], [RowError(r.row, "indicator", message) for r in records]
        found = Target.objects.filter(
            indicator__in={r.indicator for r in records}, year__in={r.year for r in records}
        )
        if lock:
            found = found.select_for_update().order_by("pk")
        existing = {(t.indicator, t.year, t.district_id): t for t in found}
        planned: list[Planned] = []
        for r in records:
            target = existing.get((r.indicator, r.year, r.district_id))
            if target is None:
                planned.append(Planned(r, NEW))
                continue
            changes = tuple(
                f
                for f in ("value", "note")
                if (value := getattr(r, f)) is not None and value != getattr(target, f)
            )
            planned.append(Planned(r, UPDATE if changes else SAME, changes, target=target))
        return planned, []

    def write(self, planned: list[Planned]) -> None:
        new, changed, fields = [], [], set()
        for item in planned:
            r = item.record
            if item.action == NEW:
                new.append(
                    Target(
                        indicator=r.indicator,
                        year=r.year,
                        district_id=r.district_id,
                        value=r.value,
                        note=r.note or "",
                    )
                )
            elif item.action == UPDATE:
                for name in item.changes:
                    setattr(item.target, name, getattr(r, name))
                fields.update(item.changes)
                changed.append(item.target)
        targets_save(by=self.user, new=new, changed=changed, fields=sorted(fields))

    def preview_headers(self) -> list[str]:
        return [
            _("Row"),
            _("What happens"),
            self.header("indicator"),
            _("indicator"),
            self.header("year"),
            self.header("district"),
            self.header("value"),
        ]

    def preview_row(self, item: Planned) -> list[str]:
        r = item.record
        definition = INDICATORS.get(r.indicator)
        return [
            str(r.row),
            action_label(item.action),
            r.indicator,
            str(definition.name) if definition else "",
            str(r.year),
            self.districts.names.get(r.district_id, "") if r.district_id else _("Whole city"),
            f"{r.value.normalize():f}",
        ]
