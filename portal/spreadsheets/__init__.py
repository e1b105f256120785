"""The import/export framework every app uses: reading, XLSX, columns, the pipeline, jobs, the importer registry.

Imports are set-based and all-or-nothing (see pipeline.py); each app registers its formats.
"""

from portal.spreadsheets.jobs import (
    IMPORTERS,
    background_rows,
    import_check_run,
    import_check_submit,
    import_inspect,
    import_job_create,
    import_job_run,
    import_preview,
    import_retry,
    import_submit,
    is_checked,
    register_importer,
)
from portal.spreadsheets.pipeline import Outcome, RegistryChanged, run_import
from portal.spreadsheets.reading import FileProblem

__all__ = [
    "IMPORTERS",
    "FileProblem",
    "Outcome",
    "RegistryChanged",
    "background_rows",
    "import_check_run",
    "import_check_submit",
    "import_inspect",
    "import_job_create",
    "import_job_run",
    "import_preview",
    "import_retry",
    "import_submit",
    "is_checked",
    "register_importer",
    "run_import",
]
