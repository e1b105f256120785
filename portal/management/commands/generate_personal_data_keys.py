"""Print fresh keys for encrypting and hashing personal data, as lines for the environment file."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from portal import crypto


class Command(BaseCommand):
    help = (
        "Print PERSONAL_DATA_KEYS and PERSONAL_DATA_HASH_KEY lines with new random keys. With --rotate, "
        "print only a PERSONAL_DATA_KEYS line that puts a new key before the configured ones; the hash "
        "key must then stay as it is, or every stored blind index stops matching."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--key-id",
            default=None,
            help="Id of the new encryption key (default: k<today's date>, e.g. k20250131).",
        )
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="Prepend a new key to the configured PERSONAL_DATA_KEYS instead of starting afresh.",
        )

    def handle(self, *args, key_id: str | None, rotate: bool, **options) -> None:
        new_entry = f"{key_id or f'k{timezone.localdate():%Y%m%d}'}:{crypto.generate_key()}"
        entries = [new_entry]
        if rotate:
            configured = settings.PERSONAL_DATA_KEYS
            if isinstance(configured, str):
                configured = configured.split(",")
            configured = [item.strip() for item in configured or [] if item.strip()]
            if not configured:
                raise CommandError("--rotate needs PERSONAL_DATA_KEYS to be set; there is nothing to rotate.")
            entries += configured
        try:
            # Parsing our own output catches a bad --key-id or a reused id before anyone pastes it.
            crypto.parse_encryption_keys(entries)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None

        self.stdout.write(f"PERSONAL_DATA_KEYS={','.join(entries)}")
        if rotate:
            self.stderr.write(
                "Keep PERSONAL_DATA_HASH_KEY unchanged. After deploying, run "
                "`manage.py rotate_personal_data_key`, then remove the old keys."
            )
        else:
            self.stdout.write(f"PERSONAL_DATA_HASH_KEY={crypto.generate_key()}")
