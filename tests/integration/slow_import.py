"""The portal's Celery app in a worker whose imports pause after writing each chunk: a test worker started
with it (`celery -A tests.integration.slow_import worker`) is still inside an import's write transaction
seconds after its first chunk, so a test can kill it there. Production code has no such pause."""

import time

from celery.signals import worker_process_init

from config.celery import app

#: seconds each written chunk holds the worker, inside the write transaction
SLEEP_PER_CHUNK = 3


@worker_process_init.connect
def _pause_after_each_written_chunk(**_):
    """In the prefork child that runs the tasks (Django is set up by then): wrap the pipeline's write
    phase so that its per-chunk progress call is followed by a pause."""
    from portal.spreadsheets import pipeline

    write = pipeline._write

    def slow_write(importer, spool, outcome, progress, job_id):
        def progress_then_pause():
            progress()
            time.sleep(SLEEP_PER_CHUNK)

        return write(importer, spool, outcome, progress_then_pause, job_id)

    pipeline._write = slow_write


__all__ = ["app"]
