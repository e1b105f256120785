"""Create or update the role groups and their permissions; safe to run any number of times."""

from django.core.management.base import BaseCommand

from portal.choices import Role
from portal.models import User
from portal.roles import sync_roles, sync_user_groups


class Command(BaseCommand):
    help = "Create or update one group per role with exactly the permissions in portal/roles.py."

    def handle(self, *args, **options):
        counts = sync_roles()
        for user in User.objects.exclude(role=Role.WORKER).only("pk", "role"):
            sync_user_groups(user)
        for role, n in counts.items():
            self.stdout.write(f"{role}: {n} permissions")
