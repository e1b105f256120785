"""Writes of indicator data outside the engine: targets set in bulk (the import)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from indicators.dashboards.cache import targets_changed
from indicators.models import Target
from portal.access import require_write_scope

BATCH = 1000


@transaction.atomic
def targets_save(*, by, new: Iterable[Target], changed: Iterable[Target], fields: Iterable[str]) -> None:
    """Add ``new`` targets and save ``fields`` of ``changed`` ones, in bulk; city staff only.

    Bulk writes send no post_save, so the boards' cached lights are invalidated here, as the signal
    does for a target saved on its form (indicators/signals.py), once the rows are committed.
    """
    require_write_scope(by, None, message=_("Only city staff may set targets."))
    new, changed, fields = list(new), list(changed), list(fields)
    if new:
        Target.objects.bulk_create(new, batch_size=BATCH)
    if changed and fields:
        Target.objects.bulk_update(changed, fields, batch_size=BATCH)
    if new or changed:
        transaction.on_commit(targets_changed)
