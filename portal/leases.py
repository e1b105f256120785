"""Leases on background work: PostgreSQL advisory locks that prove the worker holding them is alive.

A worker takes the lease of a job (or an indicator run) before it starts and keeps it to the end.
The lock belongs to its database session, so when the worker dies (SIGKILL, OOM, a lost machine
once the server drops its connection) PostgreSQL releases it at once. Whoever can take a running
job's lease therefore knows that nobody is working on it: the stale-work reaper fails it, and a
redelivered task may take it over. Other databases (SQLite, the embedded default, where work runs
inside the request) have no such locks; there the answer is "unknown" (None) and callers fall back
to time limits.
"""

from __future__ import annotations

import logging
from enum import IntEnum

from django.db import DatabaseError, connection

log = logging.getLogger(__name__)


class Namespace(IntEnum):
    """The kind of work, so that job 7 and indicator run 7 have different locks."""

    JOB = 1
    INDICATOR_RUN = 2


def lease_key(namespace: Namespace, pk: int) -> int:
    """One bigint per (kind, id): the kind in the top 15 bits, the id below (ids stay under 2**48)."""
    return (int(namespace) << 48) | int(pk)


def _supported() -> bool:
    return connection.vendor == "postgresql"


def lease_try(namespace: Namespace, pk: int) -> bool | None:
    """Take a session lease without waiting: True if taken, False if someone holds it, None if unknown."""
    if not _supported():
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [lease_key(namespace, pk)])
        return bool(cursor.fetchone()[0])


def lease_release(namespace: Namespace, pk: int) -> None:
    if not _supported():
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [lease_key(namespace, pk)])
    except DatabaseError:
        # Either the session is gone, and its locks with it, or its transaction failed and it cannot run
        # the unlock: then it must not go back to the pool still holding the lease. Closing the raw
        # connection ends the session; the pool discards it.
        log.warning("Could not release the lease of %s %s; closing its session", namespace.name, pk)
        raw = connection.connection
        if raw is not None and not raw.closed:
            raw.close()


def lease_try_in_transaction(namespace: Namespace, pk: int) -> bool | None:
    """Like lease_try, but held until the current transaction ends (must be inside one)."""
    if not _supported():
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [lease_key(namespace, pk)])
        return bool(cursor.fetchone()[0])
