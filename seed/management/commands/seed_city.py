"""seed_city: fill an empty registry with a deterministic synthetic city (seed/city.py; COPY on PostgreSQL)."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from seed import city


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


def _non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Generate a synthetic city of N workers with their enterprises, careers, certificates and craftsman "
        "awards. The same --workers, --seed and --as-of give the same rows. Refuses to touch a registry that "
        "holds data unless --reset is given. On PostgreSQL the registry tables are locked while it runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=_non_negative, required=True, help="Number of workers.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--batch-size",
            type=_positive,
            default=city.DEFAULT_BATCH_SIZE,
            help=f"Workers generated and written per batch (default {city.DEFAULT_BATCH_SIZE:,}).",
        )
        parser.add_argument(
            "--as-of",
            type=datetime.date.fromisoformat,
            default=city.DEFAULT_AS_OF,
            help=f"Reference date of the data, YYYY-MM-DD (default {city.DEFAULT_AS_OF}).",
        )
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--reset",
            action="store_true",
            help="Delete the registry's enterprises, workers and their records first.",
        )
        group.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (and succeed) if the registry already holds data, e.g. for `make run`.",
        )

    def handle(self, *args, workers, seed, batch_size, as_of, reset, if_empty, **options):
        if as_of > timezone.localdate():
            raise CommandError(
                f"--as-of {as_of} is in the future; the registry refuses records dated after today."
            )
        verbosity = options["verbosity"]
        try:
            result = city.city_seed(
                workers=workers,
                seed=seed,
                as_of=as_of,
                batch_size=batch_size,
                reset=reset,
                progress=self.stdout.write if verbosity >= 1 else (lambda message: None),
            )
        except city.RegistryNotEmpty as exc:
            if if_empty:
                self.stdout.write(f"The registry already holds data ({exc}); nothing seeded.")
                return
            raise CommandError(
                f"The registry is not empty ({exc}). Run with --reset to replace it with a synthetic city."
            ) from None
        except city.SeedError as exc:
            raise CommandError(str(exc)) from None
        if verbosity >= 1:
            self._summary(result)

    def _summary(self, result: dict) -> None:
        write = self.stdout.write
        if result["replaced"]:
            write("Replaced: " + ", ".join(f"{label} {n:,}" for label, n in result["replaced"].items()))
        write(
            self.style.SUCCESS(
                f"Seeded in {result['elapsed']:.1f} s, {result['rows_per_second']:,.0f} rows/s:"
            )
        )
        for label, rows in result["rows"].items():
            seconds = result["seconds"].get(label, 0.0)
            write(f"  {label:<28} {rows:>12,} rows  ({seconds:.1f} s encrypting and writing)")
        for label in ("indexes and constraints", "vacuum"):
            if label in result["seconds"]:
                write(f"  {label:<28} {result['seconds'][label]:>12.1f} s")
        stats = result["stats"]
        write(
            f"  non-public share of workers {result['non_public_share']:.1%}, "
            f"skilled {result['skilled_share']:.1%}, high-skill share of skilled "
            f"{result['high_skill_share_of_skilled']:.1%}, apprentices {stats.get('apprentices', 0):,}, "
            f"left their job {stats.get('workers', 0) - stats.get('workers_employed', 0):,}, "
            f"revoked certificates {stats.get('certificates_revoked', 0):,}"
        )
