"""Targets change the dashboards' traffic lights: a save or delete of one invalidates the cached boards."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from indicators.dashboards.cache import targets_changed
from indicators.models import Target


@receiver([post_save, post_delete], sender=Target, dispatch_uid="indicators.targets_changed")
def _target_changed(sender, **kwargs) -> None:
    targets_changed()
