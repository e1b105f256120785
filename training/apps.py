from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("Training and subsidies")

    def ready(self):
        # The registry's import pipeline finds formats by key (jobs, previews, the admin's import page).
        from training.importing import ClaimImporter, EnrollmentImporter, TrainingProgramImporter
        from workers.importing import IMPORTERS

        for importer in (TrainingProgramImporter, EnrollmentImporter, ClaimImporter):
            IMPORTERS.setdefault(importer.key, importer)
