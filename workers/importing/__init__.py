"""Spreadsheet imports of the registry, set-based and all-or-nothing (see pipeline.py)."""

from workers.importing.jobs import (
    IMPORTERS,
    background_rows,
    import_inspect,
    import_job_create,
    import_job_run,
    import_preview,
    import_retry,
    import_submit,
)
from workers.importing.pipeline import Outcome, RegistryChanged, run_import
from workers.importing.reading import FileProblem

__all__ = [
    "IMPORTERS",
    "FileProblem",
    "Outcome",
    "RegistryChanged",
    "background_rows",
    "import_inspect",
    "import_job_create",
    "import_job_run",
    "import_preview",
    "import_retry",
    "import_submit",
    "run_import",
]
