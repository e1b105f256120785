"""The reform portal project: settings, URLs, Celery, users, roles and data scoping."""

from portal.celery import app as celery_app

__all__ = ("celery_app",)
