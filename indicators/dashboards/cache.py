"""The dashboards' cache: the versions of the snapshots and the targets a rendered board is keyed on.

A dashboard shows snapshots, which change only when a run succeeds, and targets, which staff edit. So a
rendered board is cached under a key that names the newest successful run and the targets' version
(bumped by indicators.signals on every save or delete of a target); anything else that varies the
board (period, indicator, district, the viewer's district and rights, language, today's date) is in the
key too. The expiry is only a safety net. Without Redis the cache is per process (locmem).
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db.models import Count, Max

from indicators.choices import RunStatus
from indicators.models import IndicatorRun

BOARD_CACHE_SECONDS = 300
TARGETS_VERSION_KEY = "indicators:targets-version"


def snapshot_version() -> str:
    """Changes whenever a run succeeds (or a run is deleted): the number of successful runs and the time
    the last one finished, in one aggregate over the run table (thousands of rows, not millions). Not the
    newest id: a run started earlier may finish later."""
    found = IndicatorRun.objects.filter(status=RunStatus.SUCCEEDED).aggregate(
        n=Count("pk"), last=Max("finished_at")
    )
    return f"{found['n']}-{found['last'].timestamp() if found['last'] else 0}"


def targets_version() -> int:
    return cache.get(TARGETS_VERSION_KEY) or 0


def targets_changed() -> None:
    cache.set(TARGETS_VERSION_KEY, time.time_ns(), None)
