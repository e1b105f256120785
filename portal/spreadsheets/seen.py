"""Which row of a file first held a key, for "already appears in row N" errors, in flat memory.

A dict costs about 100 bytes a key: 100 MB for a file of a million rows. This index keeps a 12-byte
BLAKE2 digest of each key and its row in a temporary SQLite database on disk (Python's own sqlite3;
the file is private and vanishes when the import ends), with a page cache of 2 MB, so an import's
memory does not grow with its file. About 3 µs a row.
"""

from __future__ import annotations

import hashlib
import sqlite3


class FirstSeen:
    def __init__(self) -> None:
        self._db: sqlite3.Connection | None = None

    def _open(self) -> sqlite3.Connection:
        # "" opens a temporary on-disk database, deleted when the connection closes. One importer uses it
        # at a time; the garbage collector may close it from another thread (a live server's request).
        db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("PRAGMA cache_size = -2048")
        db.execute("CREATE TABLE seen (key BLOB PRIMARY KEY, row INTEGER NOT NULL) WITHOUT ROWID")
        return db

    def setdefault(self, key: object, row: int) -> int:
        """The row that first held ``key``: ``row`` itself when it is new (and now remembered)."""
        if self._db is None:
            self._db = self._open()
        digest = hashlib.blake2b(repr(key).encode("utf-8"), digest_size=12).digest()
        if self._db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)", (digest, row)).rowcount == 1:
            return row
        return self._db.execute("SELECT row FROM seen WHERE key = ?", (digest,)).fetchone()[0]

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __del__(self) -> None:
        self.close()
