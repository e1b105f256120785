from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("Training and subsidies")

    def ready(self):
        # The shared import pipeline finds formats by key (jobs, previews, the admin's import page).
        from portal.spreadsheets import register_importer
        from training.importers.claim import ClaimImporter
        from training.importers.enrollment import EnrollmentImporter
        from training.importers.program import TrainingProgramImporter

        for importer in (TrainingProgramImporter, EnrollmentImporter, ClaimImporter):
            register_importer(importer)
