"""Reading the registry back for the steps that follow it: rows in chunks, and a merge join by worker."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from django.db import connection


def rows(sql: str, params: Sequence | Mapping, size: int) -> Iterator[tuple]:
    """A query's rows, fetched in chunks through a server-side cursor on PostgreSQL (memory stays flat)."""
    cursor = connection.chunked_cursor()
    try:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(size):
            yield from chunk
    finally:
        cursor.close()


def scalar(sql: str, params: Sequence = ()):
    """The first row of a query."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


class ByWorker:
    """Rows ordered by worker id (their first column), handed out one worker at a time: a merge join."""

    def __init__(self, rows: Iterator[tuple]) -> None:
        self.rows = rows
        self.head = next(rows, None)

    def take(self, worker_id: int) -> list[tuple]:
        taken = []
        while self.head is not None and self.head[0] <= worker_id:
            if self.head[0] == worker_id:
                taken.append(self.head)
            self.head = next(self.rows, None)
        return taken

    def close(self) -> None:
        self.rows.close()
