"""Signal receivers of the self-service; connected by SelfserviceConfig.ready."""

from axes.models import AccessAttempt
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from selfservice.identity import lockout_key


@receiver(user_logged_in, dispatch_uid="selfservice-reset-own-failures")
def reset_own_failures(sender, request, user, **kwargs):
    """A successful sign-in clears that account's own failures, and nobody else's.

    axes' AXES_RESET_ON_SUCCESS would also delete every failure from the same address, so someone with
    any account could wipe their guesses at another person's ID number by signing in to their own.
    """
    AccessAttempt.objects.filter(username=lockout_key(user.get_username())).delete()
