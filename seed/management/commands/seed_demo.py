"""seed_demo: the demo accounts and demo records (seed/demo.py) for `make run` on the embedded default."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from seed.demo import demo_seed


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
        rows = demo_seed(timezone.localdate())
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
