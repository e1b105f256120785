"""The mediation app: committees, dispute cases and their deadlines, the mediation–arbitration–litigation chain."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    name = "mediation"
    verbose_name = _("Labour-dispute mediation")

    def ready(self):
        # The shared import pipeline finds formats by key (jobs, previews, the admin's import page);
        # transferred-case lists are one more format.
        from mediation.importers.case import DisputeCaseImporter
        from portal.spreadsheets import register_importer

        register_importer(DisputeCaseImporter)
