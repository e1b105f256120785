"""Authentication backends: axes' lockout check, and workers signing in with their ID number."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend

from portal.choices import Role
from portal.crypto import blind_index
from selfservice.identity import looks_like_id_number
from workers.validators import normalise_id_number


class LockoutBackend(AxesStandaloneBackend):
    """axes' check, except for calls without a request (the test client's login(), shell scripts).

    Such calls come from code, not from a browser, so there is no client to count or lock out; axes
    would refuse them with an exception.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class IdNumberBackend(BaseBackend):
    """A worker types their ID number (any case, full-width digits too) as the user name.

    The number is normalised and looked up through the worker's keyed-hash column only; the account
    is the user linked to that worker. Staff user names never look like ID numbers and fall through
    to ModelBackend.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None or not looks_like_id_number(username):
            return None
        digest = blind_index(normalise_id_number(username))
        user_model = get_user_model()
        user = (
            user_model._default_manager.filter(worker__id_number_hash=digest, role=Role.WORKER)
            .select_related(None)
            .first()
        )
        if user is None:
            # Hash a password anyway, so the answer takes as long whether the number exists or not.
            user_model().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def user_can_authenticate(self, user) -> bool:
        return getattr(user, "is_active", True)

    def get_user(self, user_id):
        user_model = get_user_model()
        user = user_model._default_manager.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
