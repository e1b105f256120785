"""Lookups the import formats need once per chunk and cache for the whole file."""

from __future__ import annotations

from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from portal.models import District
from workers.importers import cells
from workers.models import Enterprise


class EnterpriseRef(NamedTuple):
    id: int
    district_id: int
    name: str


class EnterpriseCache:
    """credit code -> EnterpriseRef or None; one query per chunk for the codes not seen yet."""

    def __init__(self) -> None:
        self.known: dict[str, EnterpriseRef | None] = {}

    def load(self, codes) -> None:
        missing = {c for c in codes if c not in self.known}
        if not missing:
            return
        for code, pk, district_id, name in Enterprise.objects.filter(credit_code__in=missing).values_list(
            "credit_code", "id", "district_id", "name"
        ):
            self.known[code] = EnterpriseRef(pk, district_id, name)
        for code in missing:
            self.known.setdefault(code, None)

    def get(self, code: str) -> EnterpriseRef | None:
        return self.known.get(code)


class DistrictReader:
    """A district cell, by name (北仑区) or six-digit code (330206) -> its id; the ten rows loaded once."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.names: dict[int, str] = {}
        for pk, code, name in District.objects.values_list("id", "code", "name"):
            self.ids[code] = self.ids[name] = pk
            self.names[pk] = name

    def __call__(self, raw: object) -> int:
        value = "".join(cells.text(raw).split())
        found = self.ids.get(value)
        if found is None:
            raise ValidationError(
                _("“%(value)s” is not a district of the city; write its name (北仑区) or code (330206).")
                % {"value": value}
            )
        return found


class TitleReader:
    """A craftsman title cell (宁波工匠 …, spaces ignored) -> its id; the registry's titles loaded once."""

    def __init__(self) -> None:
        from workers.models import CraftsmanTitle

        self.ids = {
            "".join(name.split()): pk for pk, name in CraftsmanTitle.objects.values_list("id", "name")
        }
        self.names = {pk: name for name, pk in self.ids.items()}

    def __call__(self, raw: object) -> int:
        value = "".join(cells.text(raw).split())
        found = self.ids.get(value)
        if found is None:
            raise ValidationError(
                _("“%(value)s” is not a craftsman title of the registry; the titles are: %(titles)s.")
                % {"value": value, "titles": "、".join(self.ids)}
            )
        return found


def district_names() -> dict[int, str]:
    return dict(District.objects.values_list("id", "name"))


class WorkerRef(NamedTuple):
    id: int
    district_id: int
    birth_date: object
    name: str


def workers_by_hash(hashes, *, lock: bool = False) -> dict[str, WorkerRef]:
    """Registered workers by the blind index of their ID number, in one query (locked, as the services do)."""
    from workers.models import Worker

    found = Worker.objects.filter(id_number_hash__in=list(hashes))
    if lock:
        found = found.select_for_update().order_by("pk")
    rows = found.values_list("id_number_hash", "id", "district_id", "birth_date", "name")
    return {digest: WorkerRef(pk, district_id, birth, name) for digest, pk, district_id, birth, name in rows}
