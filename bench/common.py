"""Shared helpers of the benchmarks: a throw-away PostgreSQL database, Django set-up, timing, peak memory."""

from __future__ import annotations

import contextlib
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"


def server_url() -> str:
    """The PostgreSQL server to benchmark on: BENCH_PG_SERVER, else DATABASE_URL's server, else local."""
    explicit = os.environ.get("BENCH_PG_SERVER")
    if explicit:
        return explicit.rstrip("/")
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(database_url)
        return urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    return DEFAULT_SERVER


def database_url(server: str, name: str) -> str:
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


@contextlib.contextmanager
def scratch_database(server: str, name: str, *, keep: bool = False) -> Iterator[str]:
    """A fresh database of our own (dropped first if a crashed run left it), dropped again at the end."""
    import psycopg
    from psycopg import sql

    if not name.startswith("portal_") or "bench" not in name:
        # This drops the database: only names that are plainly benchmark databases.
        raise SystemExit(f"refusing to use {name!r} as a benchmark database (want portal_*bench*)")
    admin_url = database_url(server, "postgres")

    def run(statement) -> None:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(statement)

    run(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    run(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database_url(server, name)
    finally:
        if keep:
            print(f"kept database {name}")
        else:
            with contextlib.suppress(Exception):
                from django.db import connections

                connections.close_all()
            run(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def bench_environment(url: str) -> dict[str, str]:
    # No connection pool: the benchmark holds one connection, and a pooled one would block DROP DATABASE.
    return {**os.environ, "DATABASE_URL": url, "DATABASE_POOL": "0"}


def migrate(url: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
        check=True,
        env=bench_environment(url),
        cwd=ROOT,
    )
    return time.perf_counter() - started


def django_setup(url: str) -> None:
    os.environ.update(bench_environment(url))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextlib.contextmanager
def stopwatch() -> Iterator[list[float]]:
    """with stopwatch() as t: ...; then t[0] holds the seconds."""
    elapsed = [0.0]
    started = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed[0] = time.perf_counter() - started


def rate(count: float, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s" if seconds > 0 else "-"
