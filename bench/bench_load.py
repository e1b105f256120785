"""Load benchmark: the production-style stack on this machine, driven by wrk over loopback.

    .venv/bin/python bench/bench_load.py [--database portal_ind_bench] [--gunicorn-workers 4]
                                         [--connections 16] [--duration 15]

Needs a seeded city with computed indicators: run `bench/bench_indicators.py --workers 3500000 --keep`
first (it leaves the database `portal_ind_bench`, with its snapshots). Needs `wrk` (apt-get install wrk)
and the Redis server of REDIS_URL (default redis://127.0.0.1:6379/8; its database is flushed at the end).

What it does:
1. makes sure the roles exist and creates four users of its own (a city clerk, a Beilun official, the
   city official's view through a city clerk, and a worker linked to a registered Beilun worker), and
   opens a session for each through Django's own login (sessions live in the database);
2. starts gunicorn (`config.wsgi`, sync workers, DEBUG=0 with the seed's keys passed explicitly) and one
   Celery worker against that database and Redis;
3. checks that every URL answers 200 for its user, then runs wrk for each URL in turn: a trivial Django
   view (`/healthz`: the whole middleware stack and one `SELECT 1` — the framework's own limit here), the
   city dashboard, a district dashboard, the indicator API, a worker's `/me/`, the admin worker list;
4. prints requests/s, p50 and p99 latency for each, and each one's throughput as a share of the trivial
   view's. Goals: dashboards and /me/ at least 0.5 of the trivial view, p99 under 100 ms at 16
   connections.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

from bench.common import ROOT, database_url, django_setup, server_url

SECRET = "bench-load-secret-key-" + "x" * 40
USERS = {
    "clerk": ("bench_city_clerk", "city_staff", None),
    "official": ("bench_beilun_official", "district_official", "330206"),
    "worker": ("bench_worker", "worker", "330206"),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_users() -> dict[str, str]:
    """Users of the benchmark's own, and a logged-in session cookie for each."""
    from django.core.management import call_command
    from django.test import Client, override_settings

    from portal.choices import Role
    from portal.models import District, User
    from workers.models import Worker

    call_command("setup_roles", verbosity=0)
    sessions = {}
    for key, (username, role, district_code) in USERS.items():
        district = District.objects.get(code=district_code) if district_code else None
        user = User.objects.filter(username=username).first()
        if user is None:
            worker = None
            if role == Role.WORKER:
                worker = (
                    Worker.objects.filter(district=district, left_on__isnull=True, user__isnull=True)
                    .order_by("pk")
                    .first()
                )
            user = User.objects.create_user(
                username=username,
                role=role,
                district=None if role == Role.WORKER else district,
                worker=worker,
                is_staff=role in (Role.CITY_STAFF, Role.DISTRICT_STAFF),
            )
        # Signed as the stack will check it: with the stack's SECRET_KEY (the session's auth hash).
        with override_settings(SECRET_KEY=SECRET):
            client = Client()
            client.force_login(user)
        sessions[key] = client.cookies["sessionid"].value
    return sessions


def dev_keys() -> tuple[str, str]:
    """The development keys the seed encrypted with (DEBUG=1 derives them from SECRET_KEY), passed to the
    DEBUG=0 stack explicitly so that it decrypts the same rows."""
    import base64

    from portal import crypto

    encryption = crypto._derive_dev_key("portal.crypto personal-data encryption key")
    hashing = crypto._derive_dev_key("portal.crypto blind-index key")
    return (
        f"{crypto.DEV_KEY_ID}:{base64.b64encode(encryption).decode()}",
        base64.b64encode(hashing).decode(),
    )


def stack_environment(url: str, redis_url: str) -> dict[str, str]:
    keys, hash_key = dev_keys()
    return {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "DEBUG": "0",
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",  # wrk speaks plain HTTP on loopback; the proxy does TLS in production
        "PERSONAL_DATA_KEYS": keys,
        "PERSONAL_DATA_HASH_KEY": hash_key,
    }


def wait_until_up(base: str, deadline: float = 60) -> None:
    stop = time.monotonic() + deadline
    while time.monotonic() < stop:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise SystemExit("gunicorn did not come up")


def fetch_status(url: str, cookie: str | None) -> int:
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={cookie}"} if cookie else {})  # noqa: S310

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([0-9.]+)([a-z]+)", text).groups()
    return float(number) * _UNITS[unit]


def run_wrk(url: str, cookie: str | None, *, connections: int, duration: int, threads: int) -> dict:
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--latency", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: sessionid={cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", output).group(1))
    p50 = _ms(re.search(r"\s50%\s+([0-9.]+[a-z]+)", output).group(1))
    p99 = _ms(re.search(r"\s99%\s+([0-9.]+[a-z]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    timeouts = re.search(r"timeout (\d+)", output)
    return {
        "rps": rps,
        "p50": p50,
        "p99": p99,
        "non2xx": int(errors.group(1)) if errors else 0,
        "timeouts": int(timeouts.group(1)) if timeouts else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default="portal_ind_bench")
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8"))
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")

    url = database_url(server_url(), args.database)
    django_setup(url)
    from django.db import connection

    from indicators.selectors import latest_run

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM workers_worker")
        workers = cursor.fetchone()[0]
    period = os.environ.get("BENCH_PERIOD", "2026")
    if latest_run(period) is None:
        raise SystemExit(f"no indicator snapshot for {period}: run bench/bench_indicators.py --keep first")
    sessions = prepare_users()
    env = stack_environment(url, args.redis_url)
    # DEBUG=0 serves static files through whitenoise's manifest, as in the production image.
    static_root = tempfile.mkdtemp(prefix="bench-static-")
    env["STATIC_ROOT"] = static_root
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v", "0"],
        env=env,
        check=True,
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    venv = Path(sys.executable).parent
    gunicorn = subprocess.Popen(
        [str(venv / "gunicorn"), "config.wsgi", "-w", str(args.gunicorn_workers), "-b", f"127.0.0.1:{port}",
         "--access-logfile", "/dev/null", "--error-logfile", "-", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    celery = subprocess.Popen(
        [str(venv / "celery"), "-A", "config", "worker", "-c", "1", "-l", "warning"],
        cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_until_up(base)
        targets = [
            ("trivial view (/healthz)", "/healthz", None),
            ("city dashboard", "/dashboard/", "official"),
            ("district dashboard", "/dashboard/330206/", "official"),
            ("indicator API", f"/api/indicator-values/?period={period}&district=330206", "official"),
            ("worker's /me/", "/me/", "worker"),
            ("admin worker list", "/admin/workers/worker/", "clerk"),
        ]
        for label, path, who in targets:
            status = fetch_status(base + path, sessions.get(who))
            if status != 200:
                raise SystemExit(f"{label}: {path} answered {status} for {who}, not 200")
        print(
            f"{workers:,} workers; gunicorn {args.gunicorn_workers} sync workers; wrk {args.threads} threads, "
            f"{args.connections} connections, {args.duration} s per URL; {os.cpu_count()} CPUs"
        )
        print(f"{'':28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'÷ trivial':>10}  errors")
        baseline = None
        for label, path, who in targets:
            result = run_wrk(
                base + path,
                sessions.get(who),
                connections=args.connections,
                duration=args.duration,
                threads=args.threads,
            )
            baseline = baseline or result["rps"]
            print(
                f"{label:28} {result['rps']:8.0f} {result['p50']:8.1f} {result['p99']:8.1f} "
                f"{result['rps'] / baseline:10.2f}  {result['non2xx'] + result['timeouts']}"
            )
    finally:
        for process in (gunicorn, celery):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in (gunicorn, celery):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()
        shutil.rmtree(static_root, ignore_errors=True)


if __name__ == "__main__":
    main()
