from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "indicators"
    verbose_name = _("Indicators")

    def ready(self):
        from indicators import signals  # noqa: F401 (connects the receivers)

        # The shared import pipeline finds formats by key (jobs, previews, the admin's import page).
        from indicators.importers.target import TargetImporter
        from portal.spreadsheets import register_importer

        register_importer(TargetImporter)
