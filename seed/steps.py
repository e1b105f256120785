"""What a generation step of the synthetic city is (``SeedStep``) and what it gets (``SeedContext``).

Each step has its own random stream derived from the seed and the step's name, so a step added later never
changes the rows of the steps before it. The context carries the random stream, the reference date, the
districts, what the registry's steps leave for later ones (enterprise plans and worker id ranges per
district), and a writer that takes rows in batches (seed/writers.py). Rows are plain tuples of attribute
values with personal data in clear text; the writer encrypts and hashes them exactly as the model fields
would.
"""

from __future__ import annotations

import bisect
import datetime
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from seed.writers import Writer


@dataclass(frozen=True)
class SeedStep:
    """One generation step: its name (which also seeds its random stream), the models it writes (parents
    first; ``--reset`` empties them), and the function that writes them through ``ctx.writer``."""

    name: str
    models: tuple[str, ...]
    run: Callable[[SeedContext], None]


@dataclass
class EnterprisePlan:
    """The enterprises of one district: ids first_id.., cumulative worker counts, flag bits."""

    district_id: int
    first_id: int
    cumulative: list[int]
    flags: bytearray

    UNION = 1
    ABOVE_SCALE = 2
    PUBLIC = 4

    @property
    def ids(self) -> range:
        return range(self.first_id, self.first_id + len(self.flags))

    @property
    def total(self) -> int:
        return self.cumulative[-1] if self.cumulative else 0

    def pick(self, rng: random.Random) -> int:
        """An index of one of these enterprises, chosen in proportion to its number of workers."""
        return bisect.bisect_right(self.cumulative, int(rng.random() * self.total))


@dataclass
class SeedContext:
    """What every step gets: its random stream (``rng(name)``), the reference date, the districts, and
    what the registry's steps leave for later ones (enterprise plans and worker id ranges per district)."""

    seed: int
    workers: int
    as_of: datetime.date
    batch_size: int
    districts: dict[str, int]  # GB/T 2260 code -> District id, in code order
    writer: Writer
    progress: Callable[[str], None] = print
    # Filled in by the registry's steps for the steps that follow.
    worker_counts: dict[int, int] = field(default_factory=dict)
    enterprises: dict[int, EnterprisePlan] = field(default_factory=dict)
    worker_ids: dict[int, range] = field(default_factory=dict)
    stats: Counter = field(default_factory=Counter)
    started: float = field(default_factory=time.perf_counter)

    def rng(self, step_name: str) -> random.Random:
        # Reproducible, not secret: random.Random hashes a string seed with SHA-512, stable across versions.
        return random.Random(f"{self.seed}:{step_name}")  # noqa: S311

    @property
    def timestamp(self) -> datetime.datetime:
        """created_at / updated_at of seeded rows: the evening of the reference date, Ningbo time."""
        return datetime.datetime.combine(
            self.as_of, datetime.time(18, 0), tzinfo=datetime.timezone(datetime.timedelta(hours=8))
        )

    def report(self, label: str, done: int, total: int) -> None:
        elapsed = time.perf_counter() - self.started
        rows = self.writer.rows_written
        self.progress(
            f"{label} {done:,}/{total:,} ({100 * done / max(total, 1):.0f}%): {rows:,} rows in {elapsed:.1f} s, "
            f"{rows / max(elapsed, 1e-9):,.0f} rows/s"
        )
