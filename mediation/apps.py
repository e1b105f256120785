"""The mediation app: committees, dispute cases and their deadlines, the mediation–arbitration–litigation chain."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    name = "mediation"
    verbose_name = _("Labour-dispute mediation")

    def ready(self):
        # The registry's import pipeline finds formats by key (jobs, previews, the admin's import page);
        # transferred-case lists are one more format.
        from mediation.importing import DisputeCaseImporter
        from workers.importing import IMPORTERS

        IMPORTERS.setdefault(DisputeCaseImporter.key, DisputeCaseImporter)
