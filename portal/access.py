"""Who sees what: one place that turns a user into a scope and filters querysets by it.

Three levels are built in, because the portal's own user model defines them: the city (city staff),
one district (district staff and officials, ``User.district``) and one worker (``User.worker``); their
resolvers read only ``portal.User``, and the models that declare district and worker paths live in every
domain app, so no single app owns them. Every other level (an enterprise contact's enterprises, a
committee member's committee, a training provider's programmes, a department's tasks) belongs to the
app that owns its records: the app registers it with :func:`register_scope_level` in its
``AppConfig.ready``, so this module imports no domain app.

Every model that holds facts declares how it is scoped, with class attributes:

- ``scope_district_path``: lookup from the model to the district id it counts toward
  (``"district"`` on fact rows, ``"pk"`` on District itself);
- ``scope_worker_path``: lookup from the model to the worker it belongs to
  (``"pk"`` on Worker, ``"worker"`` on a certificate), or a tuple of lookups for rows that
  belong to several workers; None when workers never see such rows;
- ``scope_paths``: the same for any level by name, e.g. ``{"enterprise": "enterprise_id"}`` (a lookup
  or a tuple of lookups); it may also name ``"district"`` and ``"worker"``, and wins over the two above;
- ``scope_write_levels``: the registered levels whose writing scopes may change the model's rows
  (an enterprise contact writes proposals, not the enterprise); built-in levels need no entry;
- ``scope_public_read``: True for reference data every signed-in user may read (districts, titles).

A model that declares none of these is visible to city staff only, and a model without a path for a
level shows nothing to that level. The admin, the API, the dashboards and the self-service pages all
call :func:`restrict`, so no edge can forget the scope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Q

from portal.choices import Role


class Level(StrEnum):
    """The built-in levels; a registered level is a plain name (``"enterprise"``)."""

    CITY = "city"
    DISTRICT = "district"
    WORKER = "worker"
    NONE = "none"


class Action(StrEnum):
    VIEW = "view"
    CHANGE = "change"


@dataclass(frozen=True)
class Scope:
    level: str  # a Level, or the name of a registered level
    district_id: int | None = None
    worker_id: int | None = None
    can_write: bool = False
    #: For a registered level: the ids of the level's records the user is bound to (one or more).
    object_ids: frozenset[int] = frozenset()

    @property
    def is_city(self) -> bool:
        return self.level == Level.CITY

    def covers_district(self, district_id: int | None) -> bool:
        """Whether this scope may read the records of ``district_id`` (None: the whole city)."""
        if self.level == Level.CITY:
            return True
        return self.level == Level.DISTRICT and district_id is not None and district_id == self.district_id


NO_SCOPE = Scope(Level.NONE)

#: A registered level's resolver: the scope of a signed-in, active user whose role the level serves,
#: or None for every other user (the next level is asked).
Resolver = Callable[[object], Scope | None]


#: Registered levels by name, in the order the apps registered them.
_registered: dict[str, Resolver] = {}


def register_scope_level(name: str, resolver: Resolver) -> None:
    """Add a scope level owned by an app (call it from the app's ``AppConfig.ready``).

    ``resolver(user)`` returns the user's ``Scope(name, object_ids=..., can_write=...)`` for the roles
    of this level, else None; models declare their path to the level in ``scope_paths[name]``.
    """
    if name in Level.__members__.values() or name in _registered:
        raise ImproperlyConfigured(f"The scope level {name!r} exists already.")
    _registered[name] = resolver


def scope_for(user) -> Scope:
    """The scope of a user; anonymous or inactive users, and misconfigured ones, see nothing."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NO_SCOPE
    if user.is_superuser or user.role == Role.CITY_STAFF:
        return Scope(Level.CITY, can_write=True)
    if user.role in (Role.DISTRICT_STAFF, Role.DISTRICT_OFFICIAL):
        if user.district_id is None:
            return NO_SCOPE
        return Scope(Level.DISTRICT, district_id=user.district_id, can_write=user.role == Role.DISTRICT_STAFF)
    if user.role == Role.WORKER:
        worker_id = getattr(user, "worker_id", None)
        return Scope(Level.WORKER, worker_id=worker_id) if worker_id else NO_SCOPE
    for resolver in _registered.values():
        scope = resolver(user)
        if scope is not None:
            return scope
    return NO_SCOPE


def scope_path(model: type[models.Model], level: str) -> str | tuple[str, ...] | None:
    """The lookup (or lookups) from ``model`` to the records of ``level``, as the model declares it."""
    paths = getattr(model, "scope_paths", None) or {}
    if level in paths:
        return paths[level]
    if level == Level.DISTRICT:
        return getattr(model, "scope_district_path", None)
    if level == Level.WORKER:
        return getattr(model, "scope_worker_path", None)
    return None


def as_scope(user_or_scope) -> Scope:
    return user_or_scope if isinstance(user_or_scope, Scope) else scope_for(user_or_scope)


def restrict(queryset: models.QuerySet, user_or_scope, action: Action | str = Action.VIEW) -> models.QuerySet:
    """``queryset`` narrowed to the rows the user may see (``view``) or change (``change``)."""
    scope = as_scope(user_or_scope)
    action = Action(action)
    model = queryset.model
    if action == Action.CHANGE and not scope.can_write:
        return queryset.none()
    if scope.level == Level.CITY:
        return queryset
    if scope.level == Level.NONE:
        return queryset.none()
    if action == Action.VIEW and getattr(model, "scope_public_read", False):
        return queryset
    paths = scope_path(model, scope.level)
    if not paths:
        return queryset.none()
    value: int | frozenset[int] | None
    if scope.level == Level.DISTRICT:
        value, lookup = scope.district_id, ""
    elif scope.level == Level.WORKER:
        value, lookup = scope.worker_id, ""
    elif scope.level in _registered:
        if action == Action.CHANGE and scope.level not in getattr(model, "scope_write_levels", ()):
            return queryset.none()
        value, lookup = scope.object_ids, "__in"
    else:
        return queryset.none()  # a level nobody registered (an app left out of INSTALLED_APPS)
    # Several paths: a row belongs to every record it names (master and apprentice alike).
    condition = Q()
    for path in (paths,) if isinstance(paths, str) else paths:
        condition |= Q(**{f"{path}{lookup}": value})
    return queryset.filter(condition)


def can_access(user_or_scope, obj: models.Model, action: Action | str = Action.VIEW) -> bool:
    """Whether one object is within the scope (one indexed query)."""
    manager = type(obj)._default_manager
    return restrict(manager.all(), user_or_scope, action).filter(pk=obj.pk).exists()


def require_write_scope(by, district_id: int | None, *, message, system_allowed: bool = True) -> None:
    """Refuse a write unless ``by`` may change records of ``district_id`` (None: city-wide records).

    ``by`` None is the system itself (seeding, migrations) where ``system_allowed``; every service
    that writes calls this, so the admin, the API, the imports and the pages share one rule. A registered
    level never passes it: its services check the row with ``restrict(..., Action.CHANGE)`` instead.
    """
    from django.core.exceptions import PermissionDenied

    if by is None and system_allowed:
        return
    scope = as_scope(by)
    allowed = scope.is_city if district_id is None else scope.covers_district(district_id)
    if not scope.can_write or not allowed:
        raise PermissionDenied(message)
