"""Create or update the role and duty groups and their permissions; safe to run any number of times."""

from django.core.management.base import BaseCommand

from portal.choices import Role
from portal.models import User
from portal.roles import DUTY_DESCRIPTIONS, DUTY_GROUPS, codenames, sync_roles, sync_user_groups


class Command(BaseCommand):
    help = (
        "Create or update one group per role and per duty with exactly the permissions in portal/roles.py, "
        "and describe each duty. Duties are given and taken by a user administrator on the user's admin page."
    )

    def handle(self, *args, **options):
        counts = sync_roles()
        for user in User.objects.exclude(role=Role.WORKER).only("pk", "role"):
            sync_user_groups(user)
        for role, n in counts.items():
            if role not in DUTY_GROUPS:
                self.stdout.write(f"{role}: {n} permissions")
        self.stdout.write("Duties (groups given on top of a role):")
        for duty, table in DUTY_GROUPS.items():
            label, description = DUTY_DESCRIPTIONS.get(duty, (duty, ""))
            self.stdout.write(f"  {duty} ({label}): {description}")
            self.stdout.write(f"    permissions: {', '.join(sorted(codenames(table)))}")
