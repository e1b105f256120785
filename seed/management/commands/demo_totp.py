"""Print the current two-factor code of a demo account (its key is published by seed_demo). DEBUG only."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from seed.totp import current_code, demo_key


class Command(BaseCommand):
    help = "Print the code an authenticator app would show now for a demo account. Refuses with DEBUG=0."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        if not settings.DEBUG:
            raise CommandError("demo_totp prints second-factor codes; it runs only with DEBUG=1.")
        device = TOTPDevice.objects.filter(
            user__username=username, confirmed=True, key=demo_key(username)
        ).first()
        if device is None:
            raise CommandError(f"{username} has no demo authenticator (run seed_demo first).")
        self.stdout.write(current_code(device))
