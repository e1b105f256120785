"""The synthetic city for `seed_city`: runs the generation steps into an empty registry, in one transaction.

The steps run in order, the registry first (seed/registry.py: enterprises, then workers with their careers,
certificates and awards), then training (seed/training.py, with the claims of seed/claims.py) and mediation
(seed/mediation.py), which read back what the steps before them wrote. Each step has its own random stream
(seed/steps.py), so a step added later never changes the rows of the steps before it, and the same
workers, seed and reference date give the same rows. Rows go through a writer (seed/writers.py): COPY on
PostgreSQL, bulk_create elsewhere.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Sequence

from django.apps import apps
from django.db import connection, models, transaction
from django.utils.translation import gettext

from seed import mediation, registry, training
from seed.registry import DISTRICT_SHARES
from seed.steps import SeedContext, SeedStep
from seed.writers import writer_for

# Fixed rather than "today" so that the same seed gives the same rows whenever it runs (tests, benchmarks
# and demos stay comparable); it must not be after the real today, because the services refuse records
# dated in the future. 30 June closes a half-year, a natural period end for the indicators.
DEFAULT_AS_OF = datetime.date(2026, 6, 30)
DEFAULT_BATCH_SIZE = 50_000

#: Every step of the city, in order: training and mediation read back the registry the first two wrote.
STEPS: list[SeedStep] = [*registry.SEED_STEPS, *training.SEED_STEPS, *mediation.SEED_STEPS]


class SeedError(Exception):
    """The city cannot be seeded as asked; the message says why."""


class RegistryNotEmpty(SeedError):
    def __init__(self, counts: dict[str, int]):
        self.counts = counts
        super().__init__(", ".join(f"{label}: {count:,}" for label, count in counts.items()))


class RegistryInUse(SeedError):
    """Rows outside the seeded models refer to registry rows, and deleting them is not ours to decide."""


def _release_references(models_: Sequence[type[models.Model]]) -> None:
    """Before --reset: null the references other tables may lose (users' worker records); refuse the rest."""
    owned = set(models_)
    for model in models_:
        # The relations Django's own delete collector follows, hidden ones (related_name="+") included.
        for relation in model._meta.get_fields(include_hidden=True):
            if not (
                relation.auto_created
                and not relation.concrete
                and (relation.one_to_many or relation.one_to_one)
            ):
                continue
            related = relation.related_model
            if related in owned:
                continue
            name = relation.field.name
            referring = related._base_manager.filter(**{f"{name}__isnull": False})
            if relation.on_delete is models.SET_NULL:
                referring.update(**{name: None})
            elif referring.exists():
                raise RegistryInUse(
                    f"{related._meta.label}.{name} refers to {model._meta.label} rows; delete those rows first, "
                    f"or give seed/ a step that owns {related._meta.label}."
                )


def city_seed(
    *,
    workers: int,
    seed: int = 1,
    as_of: datetime.date = DEFAULT_AS_OF,
    batch_size: int = DEFAULT_BATCH_SIZE,
    reset: bool = False,
    progress: Callable[[str], None] = print,
    steps: Sequence[SeedStep] | None = None,
) -> dict:
    """Generate the synthetic city into an empty registry (or replace it with reset=True), in one transaction."""
    from portal.audit import audit_record
    from portal.models import District

    steps = STEPS if steps is None else list(steps)
    models_ = list(dict.fromkeys(apps.get_model(label) for step in steps for label in step.models))
    districts = dict(
        District.objects.filter(code__in=DISTRICT_SHARES).order_by("code").values_list("code", "pk")
    )
    missing = sorted(set(DISTRICT_SHARES) - set(districts))
    if missing:
        raise SeedError(f"Districts {', '.join(missing)} are missing; run `manage.py migrate` first.")
    writer = writer_for(connection)
    started = time.perf_counter()
    with transaction.atomic():
        writer.lock(models_)
        counts = {m._meta.label: n for m in models_ if (n := m._base_manager.count())}
        if counts and not reset:
            raise RegistryNotEmpty(counts)
        if counts:
            _release_references(models_)
        with writer.bulk_load(models_, clear=bool(counts)):
            ctx = SeedContext(
                seed=seed, workers=workers, as_of=as_of, batch_size=batch_size, districts=districts,
                writer=writer, progress=progress, started=started,
            )  # fmt: skip
            for step in steps:
                step.run(ctx)
        audit_record(
            actor=None,
            action="registry.seed",
            summary=gettext("Synthetic city: %(workers)s workers, seed %(seed)s, as of %(date)s")
            % {"workers": workers, "seed": seed, "date": as_of},
            data={"workers": workers, "seed": seed, "as_of": str(as_of), "rows": dict(writer.rows)},
        )
    writer.after_commit(models_)
    elapsed = time.perf_counter() - started
    stats = ctx.stats
    return {
        "rows": dict(writer.rows),
        "seconds": dict(writer.seconds),
        "elapsed": elapsed,
        "rows_per_second": writer.rows_written / max(elapsed, 1e-9),
        "replaced": counts,
        "stats": dict(stats),
        "non_public_share": stats["workers_non_public"] / max(stats["workers"], 1),
        "skilled_share": stats["skilled"] / max(stats["workers"], 1),
        "high_skill_share_of_skilled": stats["high_skill"] / max(stats["skilled"], 1),
        "worker_ids": {code: ctx.worker_ids.get(pk) for code, pk in districts.items()},
    }
