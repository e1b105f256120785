"""Demo accounts (and, as the models arrive, demo records) for `make run` on the embedded default."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal.accounts.demo import demo_totp_device
from portal.accounts.rights import requires_two_factor
from portal.accounts.two_factor import secret_base32
from portal.choices import Role
from portal.models import District, User
from portal.roles import PAYMENT_STAFF, USER_ADMIN, sync_roles
from workers.demo import demo_registry
from workers.models import Worker

# Known passwords are fine on a laptop demo and nowhere else: the command refuses when DEBUG=0.
DEMO_ACCOUNTS = [
    ("city_clerk", "demo-city-2026", Role.CITY_STAFF, None, "市总工会 工作人员"),
    ("beilun_clerk", "demo-beilun-2026", Role.DISTRICT_STAFF, "330206", "北仑区总工会 工作人员"),
    ("beilun_official", "demo-official-2026", Role.DISTRICT_OFFICIAL, "330206", "北仑区 领导"),
    ("worker_zhang", "demo-worker-2026", Role.WORKER, None, "张金达"),
    # Payment staff: one sends a batch to the bank, the other reconciles the bank's answer (never the same).
    ("pay_sender", "demo-pay-2026", Role.CITY_STAFF, None, "市总工会 出纳（发送）"),
    ("pay_reconciler", "demo-pay-2026", Role.CITY_STAFF, None, "市总工会 出纳（对账）"),
    # Creates accounts, issues password links, gives duties.
    ("account_admin", "demo-admin-2026", Role.CITY_STAFF, None, "市总工会 用户管理员"),
]
#: Duties of the demo accounts (on top of their role).
DEMO_DUTIES = {
    "pay_sender": [PAYMENT_STAFF],
    "pay_reconciler": [PAYMENT_STAFF],
    "account_admin": [USER_ADMIN],
}


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
            duties = DEMO_DUTIES.get(username, [])
            user.groups.add(*Group.objects.filter(name__in=duties))
            secret = ""
            if requires_two_factor(user):
                # A published authenticator key, like the password: `manage.py demo_totp <user>` shows the code.
                secret = secret_base32(demo_totp_device(user))
            rows.append((username, password, role.label, ", ".join(duties), secret))
        demo_registry()
        worker = Worker.objects.filter(name="张金达").first()
        User.objects.filter(username="worker_zhang").update(worker=worker)
        self._compute_indicators()
        self.stdout.write(self.style.SUCCESS("Demo accounts (username / password / role / duties):"))
        for username, password, label, duties, _secret in rows:
            self.stdout.write(f"  {username:<16} {password:<20} {label}{f' + {duties}' if duties else ''}")
        self.stdout.write(
            self.style.SUCCESS("Two-factor sign-in: authenticator keys (type into an authenticator app):")
        )
        for username, _password, _label, _duties, secret in rows:
            if secret:
                self.stdout.write(f"  {username:<16} {secret}")
        self.stdout.write("  Or print the current code: python manage.py demo_totp <username>")

    def _compute_indicators(self):
        from django.utils import timezone

        from indicators import engine
        from indicators.selectors import latest_run

        for period in _demo_periods(timezone.localdate()):
            if latest_run(period.code) is None:
                engine.compute_period(period)
