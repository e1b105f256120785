"""The project's configuration: settings, the URL map (the only module that imports every app), the Celery
app, and the WSGI/ASGI entry points. Not an installed app.

The Celery app is imported here so that it is the current app whenever Django starts (settings live in
this package), and every ``@shared_task`` binds to it.
"""

from config.celery import app as celery_app

__all__ = ("celery_app",)
