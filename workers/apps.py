from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkersConfig(AppConfig):
    name = "workers"
    verbose_name = _("Worker registry")

    def ready(self):
        # The shared import pipeline finds formats by key (jobs, previews, the admin's import page).
        from portal.spreadsheets import register_importer
        from workers.importers.award import CraftsmanAwardImporter
        from workers.importers.certificate import SkillCertificateImporter
        from workers.importers.enterprise import EnterpriseImporter
        from workers.importers.worker import WorkerImporter

        for importer in (
            EnterpriseImporter,
            WorkerImporter,
            SkillCertificateImporter,
            CraftsmanAwardImporter,
        ):
            register_importer(importer)
