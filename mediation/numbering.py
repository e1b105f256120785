"""Case numbers such as 北仑劳调〔2025〕0042号: one counter row per district and year, locked while drawing.

Two clerks registering cases at the same moment both wait for the counter row's lock, so each gets the
next number and none is given twice (max()+1 without a lock would give both the same number). The
counter row is created by an INSERT that ignores a conflict, so the first case of a year cannot race
either. Must run inside the transaction that saves the case: a rolled-back case returns its number.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from mediation.models import CaseNumberCounter
from portal.models import District

_SUFFIXES = ("区", "县", "市")


def district_short_name(name: str) -> str:
    """北仑区 -> 北仑, 慈溪市 -> 慈溪, 宁海县 -> 宁海 (a two-character name keeps its suffix)."""
    return name[:-1] if len(name) > 2 and name.endswith(_SUFFIXES) else name


def format_number(district_name: str, year: int, sequence: int) -> str:
    return f"{district_short_name(district_name)}劳调〔{year}〕{sequence:04d}号"


def numbers_draw(*, district: District, year: int, count: int = 1) -> list[tuple[int, str]]:
    """``count`` consecutive (sequence, number) pairs for the district and year, under the counter's lock."""
    if count < 1:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("numbers_draw must run inside the transaction that saves the cases")
    CaseNumberCounter.objects.bulk_create(
        [CaseNumberCounter(district=district, year=year, last=0)], ignore_conflicts=True
    )
    counter = CaseNumberCounter.objects.select_for_update().get(district=district, year=year)
    first = counter.last + 1
    CaseNumberCounter.objects.filter(pk=counter.pk).update(last=F("last") + count)
    return [(seq, format_number(district.name, year, seq)) for seq in range(first, first + count)]


def counters_catch_up() -> int:
    """Move every counter past the highest sequence in use (after a bulk load wrote cases directly)."""
    from django.db.models import Max

    from mediation.models import DisputeCase

    highest = DisputeCase.objects.values("district_id", "year").annotate(top=Max("sequence")).order_by()
    existing = {
        (c.district_id, c.year): c for c in CaseNumberCounter.objects.select_for_update().order_by("pk")
    }
    changed, new = [], []
    for row in highest:
        counter = existing.get((row["district_id"], row["year"]))
        if counter is None:
            new.append(CaseNumberCounter(district_id=row["district_id"], year=row["year"], last=row["top"]))
        elif counter.last < row["top"]:
            counter.last = row["top"]
            changed.append(counter)
    CaseNumberCounter.objects.bulk_create(new)
    CaseNumberCounter.objects.bulk_update(changed, ["last"])
    return len(new) + len(changed)
