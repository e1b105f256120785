"""Who sees what: one place that turns a user into a scope and filters querysets by it.

Every model that holds facts declares how it is scoped, with class attributes:

- ``scope_district_path``: lookup from the model to the district id it counts toward
  (``"district"`` on fact rows, ``"pk"`` on District itself);
- ``scope_worker_path``: lookup from the model to the worker it belongs to
  (``"pk"`` on Worker, ``"worker"`` on a certificate), or a tuple of lookups for rows that
  belong to several workers; None when workers never see such rows;
- ``scope_public_read``: True for reference data every signed-in user may read (districts, titles).

A model that declares none of these is visible to city staff only. The admin, the API, the
dashboards and the self-service pages all call :func:`restrict`, so no edge can forget the scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db import models
from django.db.models import Q

from portal.choices import Role


class Level(StrEnum):
    CITY = "city"
    DISTRICT = "district"
    WORKER = "worker"
    NONE = "none"


class Action(StrEnum):
    VIEW = "view"
    CHANGE = "change"


@dataclass(frozen=True)
class Scope:
    level: Level
    district_id: int | None = None
    worker_id: int | None = None
    can_write: bool = False

    @property
    def is_city(self) -> bool:
        return self.level == Level.CITY

    def covers_district(self, district_id: int | None) -> bool:
        """Whether this scope may read the records of ``district_id`` (None: the whole city)."""
        if self.level == Level.CITY:
            return True
        return self.level == Level.DISTRICT and district_id is not None and district_id == self.district_id


NO_SCOPE = Scope(Level.NONE)


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
    return NO_SCOPE


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
    if action == Action.VIEW and getattr(model, "scope_public_read", False) and scope.level != Level.NONE:
        return queryset
    if scope.level == Level.DISTRICT:
        path = getattr(model, "scope_district_path", None)
        return queryset.filter(**{path: scope.district_id}) if path else queryset.none()
    if scope.level == Level.WORKER:
        paths = getattr(model, "scope_worker_path", None)
        if not paths:
            return queryset.none()
        # Several paths: a row belongs to every worker it names (master and apprentice alike).
        condition = Q()
        for path in (paths,) if isinstance(paths, str) else paths:
            condition |= Q(**{path: scope.worker_id})
        return queryset.filter(condition)
    return queryset.none()


def can_access(user_or_scope, obj: models.Model, action: Action | str = Action.VIEW) -> bool:
    """Whether one object is within the scope (one indexed query)."""
    manager = type(obj)._default_manager
    return restrict(manager.all(), user_or_scope, action).filter(pk=obj.pk).exists()


class ScopedQuerySet(models.QuerySet):
    """``Model.objects.restrict(user)``: scoping that lives in the queryset, as NetBox does it."""

    def restrict(self, user_or_scope, action: Action | str = Action.VIEW):
        return restrict(self, user_or_scope, action)


def require_write_scope(by, district_id: int | None, *, message, system_allowed: bool = True) -> None:
    """Refuse a write unless ``by`` may change records of ``district_id`` (None: city-wide records).

    ``by`` None is the system itself (seeding, migrations) where ``system_allowed``; every service
    that writes calls this, so the admin, the API, the imports and the pages share one rule.
    """
    from django.core.exceptions import PermissionDenied

    if by is None and system_allowed:
        return
    scope = as_scope(by)
    allowed = scope.is_city if district_id is None else scope.covers_district(district_id)
    if not scope.can_write or not allowed:
        raise PermissionDenied(message)
