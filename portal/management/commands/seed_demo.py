"""Demo accounts (and, as the models arrive, demo records) for `make run` on the embedded default."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal.choices import Role
from portal.models import User
from portal.roles import sync_roles
from workers.demo import demo_registry
from workers.models import District, Worker

# Known passwords are fine on a laptop demo and nowhere else: the command refuses when DEBUG=0.
DEMO_ACCOUNTS = [
    ("city_clerk", "demo-city-2026", Role.CITY_STAFF, None, "市总工会 工作人员"),
    ("beilun_clerk", "demo-beilun-2026", Role.DISTRICT_STAFF, "330206", "北仑区总工会 工作人员"),
    ("beilun_official", "demo-official-2026", Role.DISTRICT_OFFICIAL, "330206", "北仑区 领导"),
    ("worker_zhang", "demo-worker-2026", Role.WORKER, None, "张金达"),
]


def _demo_periods(today):
    """This year, quarter and month, and enough earlier ones for the dashboards' trend charts."""
    from indicators.periods import Period

    periods = []
    for kind in ("year", "quarter", "month"):
        period = Period.containing(today, kind)
        for _ in range(4 if kind == "year" else 8):
            periods.append(period)
            period = period.previous()
    return periods


class Command(BaseCommand):
    help = "Create the demo accounts and demo data (idempotent). Refuses to run with DEBUG=0."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG=0 (never in production)."
        )

    @transaction.atomic
    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with published passwords; it runs only with DEBUG=1."
            )
        sync_roles()
        rows = []
        for username, password, role, district_code, display_name in DEMO_ACCOUNTS:
            user, _ = User.objects.get_or_create(username=username)
            user.role = role
            user.district = District.objects.get(code=district_code) if district_code else None
            user.first_name = display_name
            user.set_password(password)
            user.save()
            rows.append((username, password, role.label))
        demo_registry()
        worker = Worker.objects.filter(name="张金达").first()
        User.objects.filter(username="worker_zhang").update(worker=worker)
        self._compute_indicators()
        self.stdout.write(self.style.SUCCESS("Demo accounts (username / password / role):"))
        for username, password, label in rows:
            self.stdout.write(f"  {username:<16} {password:<20} {label}")

    def _compute_indicators(self):
        from django.utils import timezone

        from indicators import engine
        from indicators.selectors import latest_run

        for period in _demo_periods(timezone.localdate()):
            if latest_run(period.code) is None:
                engine.compute_period(period)
