"""API permissions: model permissions from the role's group, rows from portal/access.py."""

from rest_framework import permissions


class ScopedModelPermissions(permissions.DjangoModelPermissions):
    """Signed-in users; writes need the role's model permission.

    Reading is allowed to every signed-in user because the queryset is already scoped (a worker
    reads their own rows without holding any model permission), and rows outside the write scope
    are not in the queryset of a write at all (ScopedViewSetMixin), so a guessed id answers 404.
    """

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": [],
        "OPTIONS": [],
        "HEAD": [],
    }


class ChangeActionPermissions(ScopedModelPermissions):
    """A POST action that changes an existing row needs the change permission, not the add one."""

    perms_map = {**ScopedModelPermissions.perms_map, "POST": ["%(app_label)s.change_%(model_name)s"]}


class ReadActionPermissions(ScopedModelPermissions):
    """A POST that only reads (its input does not belong in a URL) needs no model permission."""

    perms_map = {**ScopedModelPermissions.perms_map, "POST": []}
