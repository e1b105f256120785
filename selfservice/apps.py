from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SelfserviceConfig(AppConfig):
    name = "selfservice"
    verbose_name = _("Self-service")

    def ready(self):
        # The sign-in receivers (selfservice/signals.py) and the navigation's work-queue count.
        from portal import context_processors
        from selfservice import selectors, signals  # noqa: F401

        context_processors.register_work_queue(selectors)
