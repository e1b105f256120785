"""Compute the indicators of one or more periods now: compute_indicators --period 2025Q3 --period 2025-07."""

from django.core.management.base import BaseCommand, CommandError

from indicators import engine
from indicators.choices import Trigger
from indicators.periods import Period


class Command(BaseCommand):
    help = "Compute every indicator for every district and the city for the given periods (2025, 2025Q3, 2025-07)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--period", action="append", required=True, help="2025, 2025Q3 or 2025-07; repeatable"
        )

    def handle(self, *args, period, **options):
        try:
            periods = [Period.parse(code) for code in period]
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for p in periods:
            run = engine.compute_period(p, trigger=Trigger.COMMAND)
            self.stdout.write(
                f"{p.code}: run #{run.pk} {run.status} in {run.duration_ms} ms, {run.values.count()} values"
            )
